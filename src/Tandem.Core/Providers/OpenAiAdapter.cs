using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Providers;

/// <summary>
/// OpenAI's protocol, spoken by OpenAI, Azure OpenAI and every OpenAI-compatible server (vLLM, TGI, Ollama,
/// llama.cpp, LM Studio). Pass-through: the client's bytes go upstream with only <c>model</c> rewritten (and
/// <c>stream_options.include_usage</c> set on streams, so usage can be recorded), and the answer comes back untouched.
/// </summary>
internal sealed class OpenAiAdapter : IProviderAdapter
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");
    private readonly bool _azure;
    private readonly string? _apiVersion;
    private readonly KeyValuePair<string, string>[] _headers;

    public OpenAiAdapter(ProviderAdapterContext context, bool azure)
    {
        _azure = azure;
        _apiVersion = context.Config.ApiVersion;
        var headers = new List<KeyValuePair<string, string>>();
        if (context.Credential is { Length: > 0 } secret)
        {
            headers.Add(azure ? new("api-key", secret) : new("Authorization", "Bearer " + secret));
        }

        headers.AddRange(context.Config.Headers);
        _headers = [.. headers];
    }

    public bool Supports(ApiOperation operation) => true;

    public bool TryWriteBody(UpstreamRequest request, DeploymentRuntime deployment, IBufferWriter<byte> output, out RequestProblem problem)
    {
        request.Api.WriteUpstreamBody(request.Body.Span, deployment.UpstreamModelJson, forceUsage: true, output);
        problem = default;
        return true;
    }

    public ValueTask<HttpRequestMessage> CreateMessageAsync(UpstreamRequest request, DeploymentRuntime deployment, UpstreamEndpoint endpoint, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, UriFor(request.Operation, deployment.UpstreamModel, endpoint))
        {
            Version = HttpVersion.Version11,
            Content = new ReadOnlyMemoryContent(body),
        };
        message.Content.Headers.ContentType = JsonMediaType;
        AddHeaders(message);
        return ValueTask.FromResult(message);
    }

    /// <summary>The URL of an operation: fixed per replica for OpenAI (built once), per deployment for Azure.</summary>
    internal Uri UriFor(ApiOperation operation, string upstreamModel, UpstreamEndpoint endpoint)
    {
        if (!_azure)
        {
            return operation switch
            {
                ApiOperation.ChatCompletions => endpoint.ChatUri,
                ApiOperation.Completions => endpoint.CompletionsUri,
                _ => endpoint.EmbeddingsUri,
            };
        }

        var suffix = operation switch
        {
            ApiOperation.ChatCompletions => "chat/completions",
            ApiOperation.Completions => "completions",
            _ => "embeddings",
        };
        return new Uri($"{endpoint.BaseUrl}/openai/deployments/{Uri.EscapeDataString(upstreamModel)}/{suffix}?api-version={Uri.EscapeDataString(_apiVersion ?? "")}");
    }

    public OpenAiContent ReadContent(HttpResponseMessage response, Stream body, UpstreamRequest request, DeploymentRuntime deployment)
    {
        var type = response.Content.Headers.ContentType;
        var isEventStream = type?.MediaType is "text/event-stream";
        return new OpenAiContent(body, isEventStream, type?.ToString() ?? (isEventStream ? "text/event-stream" : "application/json"));
    }

    public ProviderError ReadError(int status, ReadOnlySpan<byte> body)
    {
        var message = OpenAiError.MessageOf(body);
        var contextLength = status is 400 or 413 or 422
            && (body.IndexOf("context_length_exceeded"u8) >= 0
                || (message is not null && (message.Contains("maximum context length", StringComparison.OrdinalIgnoreCase)
                    || message.Contains("context window", StringComparison.OrdinalIgnoreCase)
                    || message.Contains("too many tokens", StringComparison.OrdinalIgnoreCase))));
        return new ProviderError(message, contextLength ? ProviderErrorKind.ContextLength : ProviderErrorKind.Unspecified);
    }

    public HttpRequestMessage CreateHealthCheck(UpstreamEndpoint endpoint, string path)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint.BaseUrl + "/" + path.TrimStart('/')));
        AddHeaders(message);
        return message;
    }

    public HttpRequestMessage? CreateModelListing(UpstreamEndpoint endpoint) =>
        _azure ? null : CreateHealthCheck(endpoint, "models");

    private void AddHeaders(HttpRequestMessage message)
    {
        foreach (var (name, value) in _headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
    }
}
