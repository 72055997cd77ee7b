using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Tandem.Configuration;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Providers.Anthropic;

/// <summary>
/// Anthropic's Messages API behind OpenAI's protocol (<c>type: anthropic</c>): chat completions, streamed or not,
/// with tools, images, JSON mode, stop sequences and usage (prompt cache reads as cached tokens). The request is
/// translated by <see cref="AnthropicRequestWriter"/>, whole answers by <see cref="AnthropicResponseReader"/>, streams
/// event by event by <see cref="AnthropicStreamTranslator"/>, and errors by <see cref="AnthropicWire.ReadError"/>.
/// </summary>
internal sealed class AnthropicAdapter : IProviderAdapter
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");
    private readonly AnthropicConfig _config;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly TimeProvider _time;

    public AnthropicAdapter(ProviderAdapterContext context, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(context);
        _time = time;
        _config = context.Config.Anthropic ?? new AnthropicConfig();
        var headers = new List<KeyValuePair<string, string>>();
        if (context.Credential is { Length: > 0 } key)
        {
            headers.Add(new("x-api-key", key));
        }

        headers.Add(new("anthropic-version", _config.Version));
        if (_config.Beta.Count > 0)
        {
            headers.Add(new("anthropic-beta", string.Join(',', _config.Beta)));
        }

        headers.AddRange(context.Config.Headers);
        _headers = [.. headers];
    }

    public bool Supports(ApiOperation operation) => operation == ApiOperation.ChatCompletions;

    public bool TryWriteBody(UpstreamRequest request, DeploymentRuntime deployment, IBufferWriter<byte> output, out RequestProblem problem) =>
        AnthropicRequestWriter.TryWrite(request.Body, OptionsFor(deployment), output, out problem);

    internal AnthropicRequestOptions OptionsFor(DeploymentRuntime deployment) => new(
        deployment.UpstreamModel,
        deployment.Name,
        deployment.Config.Anthropic?.DefaultMaxTokens ?? _config.DefaultMaxTokens,
        _config.JsonSchema == AnthropicJsonSchemaModes.Native);

    public ValueTask<HttpRequestMessage> CreateMessageAsync(UpstreamRequest request, DeploymentRuntime deployment, UpstreamEndpoint endpoint, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.BaseUrl + "/messages"))
        {
            Version = HttpVersion.Version11,
            Content = new ReadOnlyMemoryContent(body),
        };
        message.Content.Headers.ContentType = JsonMediaType;
        AddHeaders(message);
        return ValueTask.FromResult(message);
    }

    public OpenAiContent ReadContent(HttpResponseMessage response, Stream body, UpstreamRequest request, DeploymentRuntime deployment)
    {
        var jsonTool = AnthropicRequestWriter.UsesJsonTool(request.Api.ResponseFormat, _config.JsonSchema == AnthropicJsonSchemaModes.Native);
        var created = _time.GetUtcNow().ToUnixTimeSeconds();
        return request.Stream
            ? new OpenAiContent(new TranslatingStream(body, new AnthropicStreamTranslator(jsonTool, created)), true, "text/event-stream")
            : new OpenAiContent(new TranslatingStream(body, new WholeBodyTranslator(b => AnthropicResponseReader.ToCompletion(b, jsonTool, created))), false, "application/json");
    }

    public ProviderError ReadError(int status, ReadOnlySpan<byte> body) => AnthropicWire.ReadError(status, body);

    public HttpRequestMessage CreateHealthCheck(UpstreamEndpoint endpoint, string path)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint.BaseUrl + "/" + path.TrimStart('/')));
        AddHeaders(message);
        return message;
    }

    private void AddHeaders(HttpRequestMessage message)
    {
        foreach (var (name, value) in _headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
    }
}
