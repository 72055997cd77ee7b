using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Tandem.Configuration;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Providers.Gemini;

/// <summary>
/// Google's Gemini behind OpenAI's protocol (<c>type: gemini</c>): chat completions through <c>generateContent</c>
/// and <c>streamGenerateContent?alt=sse</c>, embeddings through <c>embedContent</c>/<c>batchEmbedContents</c> (or
/// Vertex AI's <c>predict</c>). The Gemini API is called with an API key (<c>x-goog-api-key</c>); Vertex AI with a
/// service account's access token (<see cref="VertexTokenSource"/>).
/// </summary>
internal sealed class GeminiAdapter : IProviderAdapter
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");
    private readonly GeminiConfig _config;
    private readonly string? _apiKey;
    private readonly VertexTokenSource? _tokens;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly TimeProvider _time;

    public GeminiAdapter(ProviderAdapterContext context, TimeProvider time, HttpMessageInvoker? tokenHttp = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        _time = time;
        _config = context.Config.Gemini ?? new GeminiConfig();
        _apiKey = context.Credential;
        _headers = [.. context.Config.Headers];
        if (_config.Vertex is { } vertex)
        {
            var file = Environment.GetEnvironmentVariable(vertex.CredentialsEnv);
            ServiceAccountKey? key = null;
            var problem = $"environment variable '{vertex.CredentialsEnv}' is not set";
            if (string.IsNullOrEmpty(file) || !ServiceAccountKey.TryLoad(file, out key, out problem))
            {
                throw new ConfigException([$"provider '{context.Config.Name}': gemini.vertex.credentials_env: {problem}"]);
            }

            _tokens = new VertexTokenSource(key!, time, tokenHttp);
        }
    }

    private bool JsonSchemas => _config.Schemas == GeminiSchemaModes.JsonSchema;

    public bool Supports(ApiOperation operation) => operation is ApiOperation.ChatCompletions or ApiOperation.Embeddings;

    public bool TryWriteBody(UpstreamRequest request, DeploymentRuntime deployment, IBufferWriter<byte> output, out RequestProblem problem) =>
        request.Operation == ApiOperation.Embeddings
            ? GeminiEmbeddings.TryWriteRequest(request.Body, ModelId(deployment), _config.Vertex is not null, deployment.Name, output, out problem)
            : GeminiRequestWriter.TryWrite(request.Body, new GeminiRequestOptions(deployment.Name, JsonSchemas), output, out problem);

    public async ValueTask<HttpRequestMessage> CreateMessageAsync(UpstreamRequest request, DeploymentRuntime deployment, UpstreamEndpoint endpoint, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var method = request.Operation == ApiOperation.Embeddings
            ? GeminiEmbeddings.MethodOf(body.Span) switch
            {
                GeminiEmbeddings.Method.Predict => ":predict",
                GeminiEmbeddings.Method.BatchEmbedContents => ":batchEmbedContents",
                _ => ":embedContent",
            }
            : request.Stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(ModelUrl(endpoint, deployment) + method))
        {
            Version = HttpVersion.Version11,
            Content = new ReadOnlyMemoryContent(body),
        };
        message.Content.Headers.ContentType = JsonMediaType;
        if (_tokens is not null)
        {
            var token = await _tokens.GetTokenAsync(cancellationToken).ConfigureAwait(false);
            message.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }
        else if (_apiKey is { Length: > 0 })
        {
            message.Headers.TryAddWithoutValidation("x-goog-api-key", _apiKey);
        }

        AddHeaders(message);
        return message;
    }

    /// <summary>The model's URL: <c>{base}/models/{model}</c>, or Vertex AI's publisher model path.</summary>
    private string ModelUrl(UpstreamEndpoint endpoint, DeploymentRuntime deployment)
    {
        var model = Uri.EscapeDataString(ModelId(deployment));
        return _config.Vertex is { } v
            ? $"{endpoint.BaseUrl}/projects/{Uri.EscapeDataString(v.Project)}/locations/{Uri.EscapeDataString(v.Location)}/publishers/google/models/{model}"
            : $"{endpoint.BaseUrl}/models/{model}";
    }

    /// <summary>The model id without the <c>models/</c> prefix Google's own listings carry.</summary>
    private static string ModelId(DeploymentRuntime deployment) =>
        deployment.UpstreamModel.StartsWith("models/", StringComparison.Ordinal) ? deployment.UpstreamModel["models/".Length..] : deployment.UpstreamModel;

    public OpenAiContent ReadContent(HttpResponseMessage response, Stream body, UpstreamRequest request, DeploymentRuntime deployment)
    {
        var model = ModelId(deployment);
        if (request.Operation == ApiOperation.Embeddings)
        {
            var base64 = GeminiEmbeddings.WantsBase64(request.Body.Span);
            return new OpenAiContent(new TranslatingStream(body, new WholeBodyTranslator(b => GeminiEmbeddings.ToOpenAi(b, model, base64))), false, "application/json");
        }

        var created = _time.GetUtcNow().ToUnixTimeSeconds();
        return request.Stream
            ? new OpenAiContent(new TranslatingStream(body, new GeminiStreamTranslator(model, created)), true, "text/event-stream")
            : new OpenAiContent(new TranslatingStream(body, new WholeBodyTranslator(b => GeminiResponseReader.ToCompletion(b, model, created))), false, "application/json");
    }

    public ProviderError ReadError(int status, ReadOnlySpan<byte> body) => GeminiWire.ReadError(status, body);

    public HttpRequestMessage CreateHealthCheck(UpstreamEndpoint endpoint, string path)
    {
        // Synchronous: Vertex AI gets the cached token when there is one (a check without it fails, as it should
        // while no token can be had).
        var message = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint.BaseUrl + "/" + path.TrimStart('/')));
        if (_tokens?.Cached is { } token)
        {
            message.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }
        else if (_apiKey is { Length: > 0 })
        {
            message.Headers.TryAddWithoutValidation("x-goog-api-key", _apiKey);
        }

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
