using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Tandem.Providers;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.FunctionalTests.Providers;

/// <summary>
/// A translating adapter for the made-up "toy" protocol (see <see cref="ToyUpstream"/>), written only against the
/// adapter interface: it proves that a protocol other than OpenAI's plugs into the gateway without touching the
/// request path. Chat only; tools cannot be expressed in toy and are refused by name.
/// </summary>
public sealed class ToyAdapter : IProviderAdapter
{
    public const string Type = "toy";

    private readonly string? _key;

    public ToyAdapter(string? key) => _key = key;

    public static ProviderAdapters Register(ProviderAdapters adapters) => adapters.With(Type, static c => new ToyAdapter(c.Credential));

    public bool Supports(ApiOperation operation) => operation == ApiOperation.ChatCompletions;

    public bool TryWriteBody(UpstreamRequest request, DeploymentRuntime deployment, IBufferWriter<byte> output, out RequestProblem problem)
    {
        using var doc = JsonDocument.Parse(request.Body);
        var root = doc.RootElement;
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
        {
            problem = new RequestProblem($"Deployment '{deployment.Name}' cannot use tools (its provider speaks toy).", "tools", "unsupported_field");
            return false;
        }

        using var w = new Utf8JsonWriter(output);
        w.WriteStartObject();
        w.WriteString("engine", deployment.UpstreamModel);
        w.WriteStartArray("turns");
        var i = 0;
        foreach (var message in root.GetProperty("messages").EnumerateArray())
        {
            string text;
            var content = message.GetProperty("content");
            if (content.ValueKind == JsonValueKind.String)
            {
                text = content.GetString()!;
            }
            else
            {
                var sb = new StringBuilder();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.GetProperty("type").GetString() != "text")
                    {
                        problem = new RequestProblem($"Deployment '{deployment.Name}' accepts text only.", $"messages[{i}].content", "unsupported_field");
                        return false;
                    }

                    sb.Append(part.GetProperty("text").GetString());
                }

                text = sb.ToString();
            }

            w.WriteStartObject();
            w.WriteString("speaker", message.GetProperty("role").GetString());
            w.WriteString("text", text);
            w.WriteEndObject();
            i++;
        }

        w.WriteEndArray();
        if (root.TryGetProperty("max_completion_tokens", out var max) || root.TryGetProperty("max_tokens", out max))
        {
            w.WriteNumber("limit", max.GetInt32());
        }

        w.WriteBoolean("live", request.Stream);
        w.WriteEndObject();
        problem = default;
        return true;
    }

    public ValueTask<HttpRequestMessage> CreateMessageAsync(UpstreamRequest request, DeploymentRuntime deployment, UpstreamEndpoint endpoint, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.BaseUrl + "/generate"))
        {
            Version = HttpVersion.Version11,
            Content = new ReadOnlyMemoryContent(body),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(request.Stream ? "application/x-ndjson" : "application/json"));
        if (_key is not null)
        {
            message.Headers.TryAddWithoutValidation("x-toy-key", _key);
        }

        return ValueTask.FromResult(message);
    }

    public OpenAiContent ReadContent(HttpResponseMessage response, Stream body, UpstreamRequest request, DeploymentRuntime deployment)
    {
        var writer = new OpenAiChunkWriter("chatcmpl-toy-" + (request.RequestId ?? "x"), deployment.UpstreamModel, 1_700_000_000);
        return request.Stream
            ? new OpenAiContent(new TranslatingStream(body, new LiveTranslator(writer)), true, "text/event-stream")
            : new OpenAiContent(new TranslatingStream(body, new WholeBodyTranslator(b => Whole(writer, b))), false, "application/json");
    }

    private static byte[] Whole(OpenAiChunkWriter writer, ReadOnlyMemory<byte> body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        return writer.Completion(root.GetProperty("output").GetString(), FinishReason(root), Usage(root));
    }

    private static string FinishReason(JsonElement end) => end.GetProperty("end").GetString() == "limit" ? "length" : "stop";

    private static TokenUsage Usage(JsonElement root)
    {
        var counts = root.GetProperty("counts");
        return new TokenUsage { PromptTokens = counts.GetProperty("in").GetInt32(), CompletionTokens = counts.GetProperty("out").GetInt32() };
    }

    public ProviderError ReadError(int status, ReadOnlySpan<byte> body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            var problem = doc.RootElement.GetProperty("problem");
            var kind = problem.GetProperty("kind").GetString() switch
            {
                "too_long" => ProviderErrorKind.ContextLength,
                "busy" => ProviderErrorKind.Overloaded,
                _ => ProviderErrorKind.Unspecified,
            };
            return new ProviderError(problem.GetProperty("text").GetString(), kind);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return new ProviderError(null, ProviderErrorKind.Unspecified);
        }
    }

    public HttpRequestMessage CreateHealthCheck(UpstreamEndpoint endpoint, string path) => new(HttpMethod.Get, new Uri(endpoint.BaseUrl + "/health"));

    /// <summary>Newline-delimited toy lines → OpenAI chunks; lines may arrive split across reads.</summary>
    private sealed class LiveTranslator(OpenAiChunkWriter writer) : ResponseTranslator
    {
        private readonly ArrayBufferWriter<byte> _line = new(256);
        private bool _started;
        private bool _ended;

        public override void Translate(ReadOnlySpan<byte> received, IBufferWriter<byte> output)
        {
            while (!received.IsEmpty)
            {
                var newline = received.IndexOf((byte)'\n');
                if (newline < 0)
                {
                    _line.Write(received);
                    return;
                }

                _line.Write(received[..newline]);
                received = received[(newline + 1)..];
                Line(_line.WrittenSpan, output);
                _line.ResetWrittenCount();
            }
        }

        public override void Complete(IBufferWriter<byte> output)
        {
            if (_line.WrittenCount > 0 || !_ended)
            {
                throw new IOException("the toy stream ended before its end line");
            }
        }

        private void Line(ReadOnlySpan<byte> line, IBufferWriter<byte> output)
        {
            var reader = new Utf8JsonReader(line);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (!_started)
            {
                _started = true;
                writer.Role(output);
            }

            if (root.TryGetProperty("piece", out var piece))
            {
                writer.Text(output, piece.GetString()!);
                return;
            }

            _ended = true;
            writer.Finish(output, FinishReason(root));
            writer.UsageAndDone(output, Usage(root));
        }
    }
}
