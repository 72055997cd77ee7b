using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tandem.Simulator;

/// <summary>
/// Google's Gemini API (<c>/v1beta/models/{model}:generateContent</c>, <c>:streamGenerateContent?alt=sse</c> framed
/// with CRLF as Google frames it, <c>:embedContent</c>, <c>:batchEmbedContents</c>; key in <c>x-goog-api-key</c>) and
/// Vertex AI (<c>/v1/projects/{p}/locations/{l}/publishers/google/models/{model}:…</c>, <c>:predict</c> for
/// embeddings; bearer token from <c>/oauth2/token</c>). Requests are validated as Google validates them (unknown
/// fields and schema keywords, roles, function responses without their call are 400s).
/// </summary>
public sealed partial class SimulatorServer
{
    private static readonly HashSet<string> GeminiFields = new(StringComparer.Ordinal)
    {
        "contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings", "cachedContent", "labels",
    };

    private static readonly HashSet<string> GenerationFields = new(StringComparer.Ordinal)
    {
        "maxOutputTokens", "temperature", "topP", "topK", "stopSequences", "candidateCount", "presencePenalty", "frequencyPenalty",
        "seed", "responseMimeType", "responseSchema", "responseJsonSchema", "responseModalities", "thinkingConfig", "responseLogprobs", "logprobs",
    };

    private static readonly HashSet<string> SchemaFields = new(StringComparer.Ordinal)
    {
        "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties", "required", "minProperties",
        "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum",
    };

    private void MapGemini(WebApplication app)
    {
        app.MapPost("/v1beta/models/{target}", ctx => HandleProtocolAsync(ctx, (c, b) => GeminiAsync(c, b, vertex: false)));
        app.MapPost("/v1/models/{target}", ctx => HandleProtocolAsync(ctx, (c, b) => GeminiAsync(c, b, vertex: false)));
        app.MapPost("/{version}/projects/{project}/locations/{location}/publishers/google/models/{target}", ctx => HandleProtocolAsync(ctx, (c, b) => GeminiAsync(c, b, vertex: true)));
        MapVertexTokens(app);
    }

    private async Task GeminiAsync(HttpContext ctx, byte[] body, bool vertex)
    {
        var options = Options;
        var target = (string)ctx.Request.RouteValues["target"]!;
        var colon = target.LastIndexOf(':');
        var (model, method) = colon > 0 ? (target[..colon], target[(colon + 1)..]) : (target, "");
        if (vertex && !IsValidAccessToken(ctx.Request.Headers.Authorization.ToString()))
        {
            await GeminiErrorAsync(ctx, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token.").ConfigureAwait(false);
            return;
        }

        if (!vertex && !GeminiKeyAccepted(ctx, options, out var keyProblem))
        {
            await GeminiErrorAsync(ctx, keyProblem.Status, keyProblem.State, keyProblem.Message).ConfigureAwait(false);
            return;
        }

        var known = method switch
        {
            "generateContent" or "streamGenerateContent" or "embedContent" => true,
            "batchEmbedContents" => !vertex,
            "predict" => vertex,
            _ => false,
        };
        if (!known)
        {
            await GeminiErrorAsync(ctx, 404, "NOT_FOUND", $"Method '{method}' is not found for model '{model}'.").ConfigureAwait(false);
            return;
        }

        if (options.Models.Count > 0 && !options.Models.Contains(model))
        {
            await GeminiErrorAsync(ctx, 404, "NOT_FOUND", $"models/{model} is not found for API version v1beta, or is not supported for {method}.").ConfigureAwait(false);
            return;
        }

        if (method == "streamGenerateContent" && ctx.Request.Query["alt"] != "sse")
        {
            await GeminiErrorAsync(ctx, 400, "INVALID_ARGUMENT", "The simulator streams server-sent events only: add ?alt=sse.").ConfigureAwait(false);
            return;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            await GeminiErrorAsync(ctx, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.").ConfigureAwait(false);
            return;
        }

        using (doc)
        {
            var root = doc.RootElement;
            var bad = method switch
            {
                "generateContent" or "streamGenerateContent" => CheckGemini(root),
                _ => CheckEmbedding(root, method),
            };
            if (bad is not null)
            {
                Stats.OnRejected();
                await GeminiErrorAsync(ctx, 400, "INVALID_ARGUMENT", bad).ConfigureAwait(false);
                return;
            }

            var random = NextRandom();
            var fault = PickFault(options, random);
            if (fault is not null)
            {
                Stats.OnFault();
                if (await ApplyProtocolFaultAsync(ctx, fault.Value, options, Stats, GeminiFaultAsync).ConfigureAwait(false))
                {
                    return;
                }
            }

            if (method is "embedContent" or "batchEmbedContents" or "predict")
            {
                await DelayAsync(options.Latency, random, ctx.RequestAborted).ConfigureAwait(false);
                await WriteGeminiEmbeddingsAsync(ctx, root, method).ConfigureAwait(false);
                return;
            }

            var answer = GeminiAnswerFor(root, options.ReportedModel ?? model, options);
            if (method == "streamGenerateContent")
            {
                await StreamGeminiAsync(ctx, answer, options, random, fault).ConfigureAwait(false);
                return;
            }

            await DelayAsync(options.Latency, random, ctx.RequestAborted).ConfigureAwait(false);
            if (fault == FaultKind.Abort)
            {
                await AbortMidBodyAsync(ctx).ConfigureAwait(false);
                return;
            }

            await WriteGeminiAsync(ctx, answer, options).ConfigureAwait(false);
        }
    }

    private static bool GeminiKeyAccepted(HttpContext ctx, SimulatorOptions options, out (int Status, string State, string Message) problem)
    {
        problem = default;
        if (options.RequiredApiKey is not { } required)
        {
            return true;
        }

        var key = ctx.Request.Headers["x-goog-api-key"].ToString();
        if (key.Length == 0)
        {
            key = ctx.Request.Query["key"].ToString();
        }

        if (key.Length == 0)
        {
            problem = (403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
            return false;
        }

        problem = (400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.");
        return key == required;
    }

    private GeminiAnswer GeminiAnswerFor(JsonElement root, string model, SimulatorOptions options)
    {
        var view = new ChatView();
        if (root.TryGetProperty("systemInstruction", out var system))
        {
            view.Add("system", GeminiText(system));
        }

        foreach (var content in root.GetProperty("contents").EnumerateArray())
        {
            var role = content.TryGetProperty("role", out var r) && r.GetString() == "model" ? "assistant" : "user";
            foreach (var part in content.GetProperty("parts").EnumerateArray())
            {
                if (part.TryGetProperty("functionResponse", out var response))
                {
                    view.Add("tool", response.GetProperty("response").GetRawText());
                }
            }

            var text = GeminiText(content);
            if (text.Length > 0)
            {
                view.Add(role, text);
            }
        }

        var config = root.TryGetProperty("toolConfig", out var tc) && tc.TryGetProperty("functionCallingConfig", out var fcc) ? fcc : default;
        var mode = config.ValueKind == JsonValueKind.Object && config.TryGetProperty("mode", out var m) ? m.GetString() : "AUTO";
        var schemas = new List<JsonDocument>();
        if (root.TryGetProperty("tools", out var tools) && mode != "NONE")
        {
            foreach (var tool in tools.EnumerateArray())
            {
                foreach (var function in tool.TryGetProperty("functionDeclarations", out var fd) ? fd.EnumerateArray() : default)
                {
                    var parameters = function.TryGetProperty("parameters", out var p) ? p : function.TryGetProperty("parametersJsonSchema", out var pj) ? pj : default;
                    var schema = LowerTypes(parameters);
                    schemas.Add(schema);
                    view.Tool(function.GetProperty("name").GetString()!, schema.RootElement);
                }
            }

            if (config.ValueKind == JsonValueKind.Object && config.TryGetProperty("allowedFunctionNames", out var allowed) && allowed.GetArrayLength() > 0)
            {
                view.Force(allowed[0].GetString()!);
            }
        }

        try
        {
            using var chat = view.ToDocument();
            var reply = Answer(chat.RootElement, options);
            var generation = root.TryGetProperty("generationConfig", out var g) ? g : default;
            if (reply.ToolName is null && generation.ValueKind == JsonValueKind.Object
                && (generation.TryGetProperty("responseSchema", out var rs) || generation.TryGetProperty("responseJsonSchema", out rs)))
            {
                using var lowered = LowerTypes(rs);
                var json = JsonFor(lowered.RootElement);
                reply = new Reply(json, null, null, Math.Max(1, json.Length / 4));
            }

            int? max = generation.ValueKind == JsonValueKind.Object && generation.TryGetProperty("maxOutputTokens", out var mx) ? mx.GetInt32() : null;
            IReadOnlyList<string> stops = generation.ValueKind == JsonValueKind.Object && generation.TryGetProperty("stopSequences", out var ss)
                ? [.. ss.EnumerateArray().Select(s => s.GetString() ?? "")]
                : [];
            return new GeminiAnswer(NextId("sim"), model, reply, PromptTokens(chat.RootElement), max, stops);
        }
        finally
        {
            foreach (var schema in schemas)
            {
                schema.Dispose();
            }
        }
    }

    /// <summary>A copy of a Gemini schema with its upper-case types in JSON Schema's lower case, for the answer logic.</summary>
    private static JsonDocument LowerTypes(JsonElement schema)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            Lower(schema, w);
        }

        return JsonDocument.Parse(buffer.WrittenMemory);

        static void Lower(JsonElement e, Utf8JsonWriter w)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    w.WriteStartObject();
                    foreach (var p in e.EnumerateObject())
                    {
                        w.WritePropertyName(p.Name);
                        if (p.Name == "type" && p.Value.ValueKind == JsonValueKind.String)
                        {
                            w.WriteStringValue(p.Value.GetString()!.ToLowerInvariant());
                        }
                        else
                        {
                            Lower(p.Value, w);
                        }
                    }

                    w.WriteEndObject();
                    break;
                case JsonValueKind.Array:
                    w.WriteStartArray();
                    foreach (var item in e.EnumerateArray())
                    {
                        Lower(item, w);
                    }

                    w.WriteEndArray();
                    break;
                case JsonValueKind.Undefined:
                    w.WriteStartObject();
                    w.WriteEndObject();
                    break;
                default:
                    e.WriteTo(w);
                    break;
            }
        }
    }

    private static string GeminiText(JsonElement content)
    {
        var sb = new StringBuilder();
        if (content.TryGetProperty("parts", out var parts))
        {
            foreach (var part in parts.EnumerateArray())
            {
                if (part.TryGetProperty("text", out var t) && !(part.TryGetProperty("thought", out var th) && th.ValueKind == JsonValueKind.True))
                {
                    sb.Append(t.GetString());
                }
            }
        }

        return sb.ToString();
    }
}
