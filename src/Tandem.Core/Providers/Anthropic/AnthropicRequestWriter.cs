using System.Buffers;
using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Anthropic;

/// <summary>What a request is translated with: the deployment's model, name and defaults.</summary>
/// <param name="Model">The upstream model id.</param>
/// <param name="Deployment">The deployment's name, for error messages.</param>
/// <param name="DefaultMaxTokens"><c>max_tokens</c> when the client sets none (Anthropic requires it).</param>
/// <param name="NativeJsonSchema">Send <c>json_schema</c> response formats as structured output rather than a forced tool.</param>
internal readonly record struct AnthropicRequestOptions(string Model, string Deployment, int DefaultMaxTokens, bool NativeJsonSchema);

/// <summary>
/// Writes an Anthropic Messages API request from an OpenAI chat completion request. Everything with an equivalent is
/// translated; what has none is refused with a 400 naming the parameter, never dropped unseen.
/// </summary>
/// <remarks>
/// <code>
///   OpenAI                                   Anthropic
///   messages[role=system|developer]      →   system (a string, or text blocks)
///   messages[role=user]                  →   user turn (text, image, document blocks)
///   messages[role=assistant].tool_calls  →   assistant turn, tool_use blocks (arguments parsed to input)
///   messages[role=tool]                  →   user turn, tool_result blocks (consecutive ones share the turn)
///   max_tokens | max_completion_tokens   →   max_tokens (else the deployment's default: it is required)
///   stop                                 →   stop_sequences
///   tools / tool_choice                  →   tools (input_schema) / tool_choice auto|any|none|tool
///   parallel_tool_calls: false           →   tool_choice.disable_parallel_tool_use
///   response_format json_schema          →   output_config.format (or a forced tool, per configuration)
///   response_format json_object          →   a forced tool whose input is the answer
///   user                                 →   metadata.user_id
///   n &gt; 1, logprobs, penalties, logit_bias, audio… → 400 unsupported_parameter
/// </code>
/// Ignored, because they ask nothing of the model: <c>stream_options</c> (Anthropic always reports usage),
/// <c>seed</c> (best effort by OpenAI's own definition), <c>store</c>, <c>metadata</c> (Tandem's tags), and
/// <c>service_tier</c> <c>auto</c>/<c>default</c>.
/// </remarks>
internal static partial class AnthropicRequestWriter
{
    /// <summary>How error messages name the protocol.</summary>
    public const string Api = "Anthropic's Messages API";

    /// <summary>The forced tool carrying a JSON mode answer when the schema gives no name.</summary>
    public const string JsonToolName = "json_response";

    /// <summary>Writes the request body. False, with the problem naming the parameter, when it cannot be expressed.</summary>
    public static bool TryWrite(ReadOnlyMemory<byte> openAiBody, AnthropicRequestOptions options, IBufferWriter<byte> output, out RequestProblem problem)
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
            if (!TryRead(doc.RootElement, options, out var fields, out problem))
            {
                return false;
            }

            using var w = new Utf8JsonWriter(output, TranslationJson.WriterOptions);
            return TryWrite(w, fields, options, out problem);
        }
    }

    /// <summary>Whether the answer to a request with <paramref name="responseFormat"/> arrives as a forced tool's input.</summary>
    public static bool UsesJsonTool(string? responseFormat, bool nativeJsonSchema) =>
        responseFormat == "json_object" || (responseFormat == "json_schema" && !nativeJsonSchema);

    private static bool TryRead(JsonElement root, AnthropicRequestOptions options, out Fields f, out RequestProblem problem)
    {
        f = default;
        problem = default;
        foreach (var property in root.EnumerateObject())
        {
            var v = property.Value;
            if (v.ValueKind == JsonValueKind.Null)
            {
                continue; // OpenAI reads null as "not set".
            }

            var name = property.Name;
            switch (name)
            {
                case "model":
                    break;
                case "messages":
                    f.Messages = v;
                    break;
                case "stream":
                    f.Stream = v.ValueKind == JsonValueKind.True;
                    f.StreamSet = true;
                    break;
                case "max_tokens" or "max_completion_tokens":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var max) || max < 1)
                    {
                        problem = TranslationProblems.Invalid(name, "expected a positive integer.");
                        return false;
                    }

                    f.MaxTokens = max;
                    break;
                case "temperature":
                    if (v.ValueKind != JsonValueKind.Number || v.GetDouble() is < 0 or > 2)
                    {
                        problem = TranslationProblems.Invalid(name, "expected a number between 0 and 2.");
                        return false;
                    }

                    if (v.GetDouble() > 1)
                    {
                        problem = TranslationProblems.UnsupportedValue(name, options.Deployment, Api, "temperature ranges from 0 to 1 on Anthropic");
                        return false;
                    }

                    f.Temperature = v;
                    break;
                case "top_p":
                    if (v.ValueKind != JsonValueKind.Number || v.GetDouble() is < 0 or > 1)
                    {
                        problem = TranslationProblems.Invalid(name, "expected a number between 0 and 1.");
                        return false;
                    }

                    f.TopP = v;
                    break;
                case "top_k":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var k) || k < 1)
                    {
                        problem = TranslationProblems.Invalid(name, "expected a positive integer.");
                        return false;
                    }

                    f.TopK = v;
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
                case "parallel_tool_calls":
                    f.NoParallelToolCalls = v.ValueKind == JsonValueKind.False;
                    break;
                case "response_format":
                    f.ResponseFormat = v;
                    break;
                case "user":
                    f.User = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                    break;
                case "n" when v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n == 1:
                case "logprobs" when v.ValueKind == JsonValueKind.False:
                case "presence_penalty" or "frequency_penalty" when v.ValueKind == JsonValueKind.Number && v.GetDouble() == 0:
                case "logit_bias" when v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any():
                case "service_tier" when v.ValueKind == JsonValueKind.String && v.GetString() is "auto" or "default":
                case "stream_options" or "seed" or "store" or "metadata":
                    break;
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

    private static bool TryWrite(Utf8JsonWriter w, in Fields f, AnthropicRequestOptions options, out RequestProblem problem)
    {
        w.WriteStartObject();
        w.WriteString("model", options.Model);
        w.WriteNumber("max_tokens", f.MaxTokens ?? options.DefaultMaxTokens);
        if (!TryWriteSystem(w, f.Messages, options, out problem) || !TryWriteMessages(w, f.Messages, options, out problem))
        {
            return false;
        }

        if (f.Stop.ValueKind != JsonValueKind.Undefined)
        {
            w.WriteStartArray("stop_sequences");
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

        WriteIfSet(w, "temperature", f.Temperature);
        WriteIfSet(w, "top_p", f.TopP);
        WriteIfSet(w, "top_k", f.TopK);
        if (!TryWriteTools(w, f, options, out problem))
        {
            return false;
        }

        if (f.User is { } user)
        {
            w.WriteStartObject("metadata");
            w.WriteString("user_id", user);
            w.WriteEndObject();
        }

        if (f.StreamSet)
        {
            w.WriteBoolean("stream", f.Stream);
        }

        w.WriteEndObject();
        return true;
    }

    private static void WriteIfSet(Utf8JsonWriter w, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Undefined)
        {
            w.WritePropertyName(name);
            value.WriteTo(w);
        }
    }

    private readonly record struct JsonFormat(bool JsonTool, bool Native, string ToolName, string? Description, JsonElement Schema);

    private struct Fields
    {
        public JsonElement Messages;
        public bool Stream;
        public bool StreamSet;
        public int? MaxTokens;
        public JsonElement Temperature;
        public JsonElement TopP;
        public JsonElement TopK;
        public JsonElement Stop;
        public JsonElement Tools;
        public JsonElement ToolChoice;
        public bool NoParallelToolCalls;
        public JsonElement ResponseFormat;
        public string? User;
    }
}
