using System.Buffers;
using Tandem.Configuration;
using Tandem.Providers;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Extensions.AI.Internal;

/// <summary>
/// The provider type of deployments served by an <c>IChatClient</c> handed to Tandem in code (<c>type: chat-client</c>;
/// <see cref="TandemChatClientOptions.AddDeployment(string, Microsoft.Extensions.AI.IChatClient)"/> adds one per
/// deployment). It speaks no HTTP — the in-process client calls the <c>IChatClient</c> through the deployment's seam —
/// so every HTTP call is refused before anything is sent; it only reads error bodies, in OpenAI's shape (what an
/// OpenAI SDK's exception carries), for the one classifier. Its provider still gives the deployment its limiter
/// (<c>max_concurrency</c>, <c>max_queue</c>) and timeouts (<c>first_byte</c>, <c>total</c>, <c>idle</c>).
/// </summary>
internal sealed class ChatClientAdapter : IProviderAdapter
{
    /// <summary>The provider type name.</summary>
    public const string Type = "chat-client";

    /// <summary>The base URL of the providers Tandem makes for deployments added in code (never called: a reserved name).</summary>
    public const string PlaceholderUrl = "http://in-process.invalid/";

    private readonly IProviderAdapter _errors;

    public ChatClientAdapter(ProviderAdapterContext context) =>
        _errors = ProviderAdapters.BuiltIn.Create(context with { Config = context.Config with { Type = ProviderTypes.OpenAI } });

    public bool Supports(ApiOperation operation) => false;

    public bool TryWriteBody(UpstreamRequest request, DeploymentRuntime deployment, IBufferWriter<byte> output, out RequestProblem problem) =>
        throw NotOverHttp();

    public ValueTask<HttpRequestMessage> CreateMessageAsync(UpstreamRequest request, DeploymentRuntime deployment, UpstreamEndpoint endpoint, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        throw NotOverHttp();

    public OpenAiContent ReadContent(HttpResponseMessage response, Stream body, UpstreamRequest request, DeploymentRuntime deployment) =>
        throw NotOverHttp();

    public ProviderError ReadError(int status, ReadOnlySpan<byte> body) => _errors.ReadError(status, body);

    public HttpRequestMessage CreateHealthCheck(UpstreamEndpoint endpoint, string path) => throw NotOverHttp();

    private static NotSupportedException NotOverHttp() =>
        new("a chat-client deployment is served by its IChatClient in process, never over HTTP");
}
