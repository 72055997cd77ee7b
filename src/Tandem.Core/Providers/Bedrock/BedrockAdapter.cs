using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Tandem.Providers.Aws;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Providers.Bedrock;

/// <summary>
/// Amazon Bedrock (<c>type: bedrock</c>) through the Converse API: <c>POST /model/{modelId}/converse</c> and
/// <c>/converse-stream</c>, signed with SigV4 for service <c>bedrock</c>. The deployment's <c>model</c> is the model
/// id or inference profile (<c>us.anthropic.claude-3-5-haiku-20241022-v1:0</c>) or an ARN; it is sent URL-encoded
/// (<c>:</c> as <c>%3A</c>) and signed encoded once more, as AWS expects.
/// </summary>
internal sealed class BedrockAdapter : IProviderAdapter
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly AwsRequestSigner _signer;
    private readonly TimeProvider _time;

    public BedrockAdapter(AwsRequestSigner signer, TimeProvider time)
    {
        _signer = signer;
        _time = time;
    }

    /// <summary>The adapter of a configured provider, with the process's AWS environment and clock.</summary>
    public static BedrockAdapter Create(ProviderAdapterContext context) =>
        new(AwsSetup.Signer(context.Config, "bedrock", AwsEnvironment.Process, context.Time), context.Time);

    public bool Supports(ApiOperation operation) => operation == ApiOperation.ChatCompletions;

    public bool TryWriteBody(UpstreamRequest request, DeploymentRuntime deployment, IBufferWriter<byte> output, out RequestProblem problem) =>
        ConverseRequestWriter.TryWrite(request.Body, deployment.Name, output, out problem);

    public async ValueTask<HttpRequestMessage> CreateMessageAsync(UpstreamRequest request, DeploymentRuntime deployment, UpstreamEndpoint endpoint, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var action = request.Stream ? "converse-stream" : "converse";
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri($"{endpoint.BaseUrl}/model/{Uri.EscapeDataString(deployment.UpstreamModel)}/{action}"))
        {
            Version = HttpVersion.Version11,
            Content = new ReadOnlyMemoryContent(body),
        };
        message.Content.Headers.ContentType = Json;
        message.Headers.TryAddWithoutValidation("Accept", request.Stream ? "application/vnd.amazon.eventstream" : "application/json");
        try
        {
            await _signer.SignAsync(message, body, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            message.Dispose();
            throw;
        }

        return message;
    }

    public OpenAiContent ReadContent(HttpResponseMessage response, Stream body, UpstreamRequest request, DeploymentRuntime deployment)
    {
        var id = response.Headers.TryGetValues("x-amzn-RequestId", out var ids) ? ids.FirstOrDefault() : null;
        var writer = new OpenAiChunkWriter("chatcmpl-" + (id ?? request.RequestId ?? Guid.NewGuid().ToString("N")), deployment.UpstreamModel, _time.GetUtcNow().ToUnixTimeSeconds());
        return request.Stream
            ? new OpenAiContent(new TranslatingStream(body, new ConverseStreamTranslator(writer)), true, "text/event-stream")
            : new OpenAiContent(new TranslatingStream(body, new WholeBodyTranslator(b => ConverseResponse.Translate(b, writer))), false, "application/json");
    }

    /// <summary>
    /// Bedrock's errors are <c>{"message": …}</c> with the type in a header the seam does not pass on, so the status
    /// does most of the work (429 throttling, 503 unavailable, 408 model timeout, 5xx); a <c>ValidationException</c>
    /// that says the prompt is too long is a context-length refusal, and <c>ModelErrorException</c> (424) is the
    /// model's trouble, not the request's.
    /// </summary>
    public ProviderError ReadError(int status, ReadOnlySpan<byte> body)
    {
        var error = AwsError.Read(body);
        var kind = AwsError.SaysContextLength(error.Message) ? ProviderErrorKind.ContextLength
            : status == 424 || error.IsThrottling ? ProviderErrorKind.Overloaded
            : ProviderErrorKind.Unspecified;
        return new ProviderError(error.Message, kind);
    }

    /// <summary>Bedrock has no health path; validation refuses <c>health_check</c> on this type.</summary>
    public HttpRequestMessage CreateHealthCheck(UpstreamEndpoint endpoint, string path) =>
        new(HttpMethod.Get, new Uri(endpoint.BaseUrl + "/" + path.TrimStart('/')));
}
