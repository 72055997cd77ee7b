using System.Buffers;
using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Gemini;

/// <summary>What a request is translated with.</summary>
/// <param name="Deployment">The deployment's name, for error messages.</param>
/// <param name="JsonSchemas">Send schemas as JSON Schema (<c>responseJsonSchema</c>, <c>parametersJsonSchema</c>) rather than converted.</param>
internal readonly record struct GeminiRequestOptions(string Deployment, bool JsonSchemas);

/// <summary>
/// Writes a Gemini <c>generateContent</c> request from an OpenAI chat completion request (the model and whether to
/// stream are in the URL, not the body).
/// </summary>
/// <remarks>
/// <code>
///   OpenAI                                   Gemini
///   messages[role=system|developer]      →   systemInstruction.parts
///   messages[role=user]                  →   contents[role=user]: text, inlineData (data URLs, audio), fileData (URLs)
///   messages[role=assistant]             →   contents[role=model]: text, functionCall (id, name, args, thoughtSignature)
///   messages[role=tool]                  →   contents[role=user]: functionResponse (name found from the call's id)
///   tools / tool_choice                  →   tools[].functionDeclarations / toolConfig.functionCallingConfig
///   max_tokens, temperature, top_p, stop, seed, penalties → generationConfig
///   response_format json_object          →   generationConfig.responseMimeType application/json
///   response_format json_schema          →   … and responseSchema (converted) or responseJsonSchema
///   n &gt; 1, logprobs, logit_bias, audio, parallel_tool_calls: false… → 400 naming the parameter
/// </code>
/// Ignored, because they ask nothing of the model: <c>stream_options</c> (Gemini always reports usage), <c>user</c>,
/// <c>store</c>, <c>metadata</c> (Tandem's tags), <c>service_tier</c> <c>auto</c>/<c>default</c>.
/// </remarks>
internal static partial class GeminiRequestWriter
{
    /// <summary>How error messages name the protocol.</summary>
    public const string Api = "Google's Gemini API";

    public static bool TryWrite(ReadOnlyMemory<byte> openAiBody, GeminiRequestOptions options, IBufferWriter<byte> output, out RequestProblem problem)
    {
        ArgumentNullException.ThrowIfNull(output);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(openAiBody);
        }
        catch (JsonException)
        {
            problem = ApiRequest.MalformedBody;
            return false;
        }

        using (doc)
        {
            if (!TryRead(doc.RootElement, options, out var f, out problem))
            {
                return false;
            }

            using var w = new Utf8JsonWriter(output, TranslationJson.WriterOptions);
            w.WriteStartObject();
            if (!TryWriteContents(w, f.Messages, options, out problem) || !TryWriteTools(w, f, options, out problem))
            {
                return false;
            }

            if (!TryWriteGenerationConfig(w, f, options, out problem))
            {
                return false;
            }

            w.WriteEndObject();
            return true;
        }
    }

    private static bool TryRead(JsonElement root, GeminiRequestOptions options, out Fields f, out RequestProblem problem)
    {
        f = default;
        problem = default;
        foreach (var property in root.EnumerateObject())
        {
            var v = property.Value;
            if (v.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            var name = property.Name;
            switch (name)
            {
                case "model" or "stream" or "stream_options" or "user" or "store" or "metadata":
                    break;
                case "messages":
                    f.Messages = v;
                    break;
                case "max_tokens" or "max_completion_tokens":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var max) || max < 1)
                    {
                        problem = TranslationProblems.Invalid(name, "expected a positive integer.");
                        return false;
                    }

                    f.MaxTokens = v;
                    break;
                case "temperature" or "top_p" or "top_k" or "presence_penalty" or "frequency_penalty" or "seed":
                    if (v.ValueKind != JsonValueKind.Number)
                    {
                        problem = TranslationProblems.Invalid(name, "expected a number.");
                        return false;
                    }

                    (f.Sampling ??= []).Add((name, v));
                    break;
                case "stop":
                    if (!(v.ValueKind == JsonValueKind.String || (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(static s => s.ValueKind == JsonValueKind.String))))
                    {
                        problem = TranslationProblems.Invalid(name, "expected a string or an array of strings.");
                        return false;
                    }

                    f.Stop = v;
                    break;
                case "tools":
                    if (v.ValueKind != JsonValueKind.Array)
                    {
                        problem = TranslationProblems.Invalid(name, "expected an array of tools.");
                        return false;
                    }

                    f.Tools = v;
                    break;
                case "tool_choice":
                    f.ToolChoice = v;
                    break;
                case "response_format":
                    f.ResponseFormat = v;
                    break;
                case "parallel_tool_calls" when v.ValueKind == JsonValueKind.True:
                case "n" when v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n == 1:
                case "logprobs" when v.ValueKind == JsonValueKind.False:
                case "logit_bias" when v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any():
                case "service_tier" when v.ValueKind == JsonValueKind.String && v.GetString() is "auto" or "default":
                    break;
                case "parallel_tool_calls":
                    problem = TranslationProblems.UnsupportedValue(name, options.Deployment, Api, "Gemini cannot be kept from calling tools in parallel");
                    return false;
                default:
                    problem = TranslationProblems.Unsupported(name, options.Deployment, Api);
                    return false;
            }
        }

        if (f.Messages.ValueKind != JsonValueKind.Array)
        {
            problem = new("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
            return false;
        }

        return true;
    }

    private static bool TryWriteGenerationConfig(Utf8JsonWriter w, in Fields f, GeminiRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        w.WriteStartObject("generationConfig");
        if (f.MaxTokens.ValueKind != JsonValueKind.Undefined)
        {
            w.WritePropertyName("maxOutputTokens");
            f.MaxTokens.WriteTo(w);
        }

        foreach (var (name, value) in f.Sampling ?? [])
        {
            w.WritePropertyName(name switch
            {
                "top_p" => "topP",
                "top_k" => "topK",
                "presence_penalty" => "presencePenalty",
                "frequency_penalty" => "frequencyPenalty",
                _ => name, // temperature, seed
            });
            value.WriteTo(w);
        }

        if (f.Stop.ValueKind != JsonValueKind.Undefined)
        {
            w.WriteStartArray("stopSequences");
            if (f.Stop.ValueKind == JsonValueKind.String)
            {
                f.Stop.WriteTo(w);
            }
            else
            {
                foreach (var s in f.Stop.EnumerateArray())
                {
                    s.WriteTo(w);
                }
            }

            w.WriteEndArray();
        }

        if (!TryWriteResponseFormat(w, f.ResponseFormat, options, out problem))
        {
            return false;
        }

        w.WriteEndObject();
        return true;
    }

    private static bool TryWriteResponseFormat(Utf8JsonWriter w, JsonElement rf, GeminiRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        if (rf.ValueKind == JsonValueKind.Undefined)
        {
            return true;
        }

        if (rf.ValueKind != JsonValueKind.Object || !rf.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            problem = TranslationProblems.Invalid("response_format", "expected an object with a 'type'.");
            return false;
        }

        switch (type.GetString())
        {
            case "text":
                return true;
            case "json_object":
                w.WriteString("responseMimeType", "application/json");
                return true;
            case "json_schema":
                if (!rf.TryGetProperty("json_schema", out var js) || js.ValueKind != JsonValueKind.Object
                    || !js.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
                {
                    problem = TranslationProblems.Invalid("response_format.json_schema.schema", "a json_schema response format needs a schema object.");
                    return false;
                }

                w.WriteString("responseMimeType", "application/json");
                return TryWriteSchema(w, options.JsonSchemas ? "responseJsonSchema" : "responseSchema", schema, "response_format.json_schema.schema", options, out problem);
            default:
                problem = TranslationProblems.UnsupportedValue("response_format.type", options.Deployment, Api, $"'{type.GetString()}' cannot be translated");
                return false;
        }
    }

    /// <summary>Writes a schema as is (JSON Schema mode) or converted to Gemini's schema.</summary>
    private static bool TryWriteSchema(Utf8JsonWriter w, string name, JsonElement schema, string param, GeminiRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        w.WritePropertyName(name);
        if (options.JsonSchemas)
        {
            schema.WriteTo(w);
            return true;
        }

        if (!GeminiSchema.TryWrite(w, schema, out var why))
        {
            problem = TranslationProblems.UnsupportedValue(param, options.Deployment, Api, why);
            return false;
        }

        return true;
    }

    private struct Fields
    {
        public JsonElement Messages;
        public JsonElement MaxTokens;
        public List<(string Name, JsonElement Value)>? Sampling;
        public JsonElement Stop;
        public JsonElement Tools;
        public JsonElement ToolChoice;
        public JsonElement ResponseFormat;
    }
}
