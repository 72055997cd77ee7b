using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Tandem.Wire;

namespace Tandem.Providers.Translation;

/// <summary>
/// Reads an OpenAI chat completion request once for a translating adapter: parses the body, checks every field as
/// OpenAI's API would, and refuses — with a problem naming the field's JSON path — whatever the adapter's protocol
/// cannot express according to its <see cref="TranslationCapabilities"/>. What it returns is a
/// <see cref="ChatRequest"/> the adapter writes its provider's body from, knowing that every value in it can be said.
/// </summary>
/// <remarks>
/// <code>
///   body ─► JsonDocument ─► top-level fields, in the body's order ─► messages ─► tools ─► tool_choice ─► response_format
///             (malformed: 400)   (unknown or untranslatable: 400)      (role, content parts, tool calls: 400 at their path)
/// </code>
/// <para>Refused for every protocol: fields Tandem does not know (a gateway must not drop what it does not
/// understand), and what none of them expresses: <c>n</c> above 1, <c>logprobs</c>, <c>top_logprobs</c>, a non-empty
/// <c>logit_bias</c>, <c>service_tier</c> other than <c>auto</c>/<c>default</c>, <c>audio</c>, <c>modalities</c>,
/// <c>prediction</c>, legacy <c>functions</c> and <c>function_call</c>. Values that ask nothing (<c>n: 1</c>,
/// <c>logprobs: false</c>, <c>logit_bias: {}</c>, a zero penalty) are accepted. Ignored, because they ask nothing of
/// the model: <c>model</c> (the deployment names it), <c>stream_options</c> (every protocol reports usage),
/// <c>store</c>, <c>metadata</c> (Tandem's tags).</para>
/// <para>A protocol may still refuse a value only its writer can judge (a JSON schema Gemini's schema cannot convert,
/// a tool call id with no earlier call): the writer does so with the same <see cref="TranslationProblems"/>.</para>
/// </remarks>
internal static partial class ChatRequestReader
{
    /// <summary>Reads <paramref name="body"/>; false with the problem (naming the field) when it cannot be translated.</summary>
    /// <param name="body">The client's request body.</param>
    /// <param name="capabilities">What the protocol can express.</param>
    /// <param name="deployment">The deployment's name, for messages.</param>
    /// <param name="request">The request; the caller disposes it.</param>
    /// <param name="problem">Why it was refused.</param>
    public static bool TryRead(ReadOnlyMemory<byte> body, TranslationCapabilities capabilities, string deployment, [NotNullWhen(true)] out ChatRequest? request, out RequestProblem problem)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        request = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            problem = ApiRequest.MalformedBody;
            return false;
        }

        var context = new Context(capabilities, deployment);
        var fields = default(Fields);
        ChatMessage[] messages = [];
        ToolCall[] calls = [];
        var ok = false;
        try
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = ApiRequest.MalformedBody;
                return false;
            }

            if (!TryReadFields(root, context, ref fields, out problem)
                || !TryReadMessages(fields.Messages, context, out messages, out calls, out problem)
                || !TryReadTools(fields.Tools, context, out var tools, out problem)
                || !TryReadToolChoice(fields.ToolChoice, tools.Length > 0, context, out var choice, out problem)
                || !TryReadResponseFormat(fields.ResponseFormat, context, out var format, out problem))
            {
                return false;
            }

            request = new ChatRequest(document, messages, calls, tools)
            {
                ToolChoice = choice,
                ParallelToolCalls = !fields.NoParallelToolCalls,
                ResponseFormat = format,
                Stop = new StopSequences(fields.Stop),
                MaxTokens = fields.MaxCompletionTokens ?? fields.MaxTokens,
                Temperature = new OptionalNumber(fields.Temperature),
                TopP = new OptionalNumber(fields.TopP),
                TopK = new OptionalNumber(fields.TopK),
                PresencePenalty = new OptionalNumber(fields.PresencePenalty),
                FrequencyPenalty = new OptionalNumber(fields.FrequencyPenalty),
                Seed = new OptionalNumber(fields.Seed),
                User = fields.User,
                Metadata = fields.Metadata,
                Stream = fields.Stream,
            };
            ok = true;
            return true;
        }
        finally
        {
            if (!ok)
            {
                foreach (var call in calls)
                {
                    call.ArgumentsDocument?.Dispose();
                }

                document.Dispose();
            }
        }
    }

    /// <summary>The top-level fields, in the body's order: the first problem met is the one reported.</summary>
    private static bool TryReadFields(JsonElement root, in Context c, ref Fields f, out RequestProblem problem)
    {
        problem = default;
        Span<char> buffer = stackalloc char[32];
        foreach (var property in root.EnumerateObject())
        {
            var v = property.Value;
            if (v.ValueKind == JsonValueKind.Null)
            {
                continue; // OpenAI reads null as "not set".
            }

            // The name without allocating it: the fields Tandem knows are short and ASCII.
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            ReadOnlySpan<char> name = raw.Length <= buffer.Length && raw.IndexOf((byte)'\\') < 0 && Ascii.ToUtf16(raw, buffer, out var length) == OperationStatus.Done
                ? buffer[..length]
                : property.Name;
            switch (name)
            {
                case "model" or "stream_options" or "store":
                    break;
                case "metadata":
                    f.Metadata = v;
                    break;
                case "messages":
                    f.Messages = v;
                    break;
                case "stream":
                    f.Stream = v.ValueKind == JsonValueKind.True;
                    break;
                case "max_tokens" or "max_completion_tokens":
                    if (!IsPositiveInteger(v, out var max))
                    {
                        problem = TranslationProblems.Invalid(name.ToString(), "expected a positive integer.");
                        return false;
                    }

                    if (name is "max_tokens")
                    {
                        f.MaxTokens = max;
                    }
                    else
                    {
                        f.MaxCompletionTokens = max;
                    }

                    break;
                case "temperature":
                    if (!IsNumberIn(v, 0, 2))
                    {
                        problem = TranslationProblems.Invalid("temperature", "expected a number between 0 and 2.");
                        return false;
                    }

                    if (v.GetDouble() > c.Capabilities.MaxTemperature)
                    {
                        problem = c.UnsupportedValue("temperature", $"temperature ranges from 0 to {c.Capabilities.MaxTemperatureText} on {c.Capabilities.Provider}");
                        return false;
                    }

                    f.Temperature = v;
                    break;
                case "top_p":
                    if (!IsNumberIn(v, 0, 1))
                    {
                        problem = TranslationProblems.Invalid("top_p", "expected a number between 0 and 1.");
                        return false;
                    }

                    f.TopP = v;
                    break;
                case "top_k":
                    if (!c.Capabilities.TopK)
                    {
                        problem = c.Unsupported("top_k");
                        return false;
                    }

                    if (!IsPositiveInteger(v, out _))
                    {
                        problem = TranslationProblems.Invalid("top_k", "expected a positive integer.");
                        return false;
                    }

                    f.TopK = v;
                    break;
                case "presence_penalty" or "frequency_penalty":
                    var presence = name is "presence_penalty";
                    if (!IsNumberIn(v, -2, 2))
                    {
                        problem = TranslationProblems.Invalid(name.ToString(), "expected a number between -2 and 2.");
                        return false;
                    }

                    if (v.GetDouble() != 0 && !(presence ? c.Capabilities.PresencePenalty : c.Capabilities.FrequencyPenalty))
                    {
                        problem = c.Unsupported(name.ToString());
                        return false;
                    }

                    (presence ? ref f.PresencePenalty : ref f.FrequencyPenalty) = v;
                    break;
                case "seed":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out _))
                    {
                        problem = TranslationProblems.Invalid("seed", "expected an integer.");
                        return false;
                    }

                    f.Seed = v;
                    break;
                case "stop":
                    if (!(v.ValueKind == JsonValueKind.String || (v.ValueKind == JsonValueKind.Array && AllStrings(v))))
                    {
                        problem = TranslationProblems.Invalid("stop", "expected a string or an array of strings.");
                        return false;
                    }

                    f.Stop = v;
                    break;
                case "tools":
                    if (v.ValueKind != JsonValueKind.Array)
                    {
                        problem = TranslationProblems.Invalid("tools", "expected an array of tools.");
                        return false;
                    }

                    f.Tools = v;
                    break;
                case "tool_choice":
                    f.ToolChoice = v;
                    break;
                case "parallel_tool_calls":
                    if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        problem = TranslationProblems.Invalid("parallel_tool_calls", "expected a boolean.");
                        return false;
                    }

                    // A protocol without tools makes no parallel calls: false asks nothing of it.
                    if (v.ValueKind == JsonValueKind.False && c.Capabilities.Tools && !c.Capabilities.DisableParallelToolCalls)
                    {
                        problem = c.UnsupportedValue("parallel_tool_calls", $"{c.Capabilities.Provider} cannot be kept from calling tools in parallel");
                        return false;
                    }

                    f.NoParallelToolCalls = v.ValueKind == JsonValueKind.False;
                    break;
                case "response_format":
                    f.ResponseFormat = v;
                    break;
                case "user":
                    if (v.ValueKind != JsonValueKind.String)
                    {
                        problem = TranslationProblems.Invalid("user", "expected a string.");
                        return false;
                    }

                    f.User = v;
                    break;
                case "n":
                    if (!IsPositiveInteger(v, out var n))
                    {
                        problem = TranslationProblems.Invalid("n", "expected a positive integer.");
                        return false;
                    }

                    if (n != 1)
                    {
                        problem = c.Unsupported("n");
                        return false;
                    }

                    break;
                case "logprobs":
                    if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        problem = TranslationProblems.Invalid("logprobs", "expected a boolean.");
                        return false;
                    }

                    if (v.ValueKind == JsonValueKind.True)
                    {
                        problem = c.Unsupported("logprobs");
                        return false;
                    }

                    break;
                case "logit_bias":
                    if (v.ValueKind != JsonValueKind.Object)
                    {
                        problem = TranslationProblems.Invalid("logit_bias", "expected an object.");
                        return false;
                    }

                    if (v.EnumerateObject().MoveNext())
                    {
                        problem = c.Unsupported("logit_bias");
                        return false;
                    }

                    break;
                case "service_tier" when v.ValueKind == JsonValueKind.String && (v.ValueEquals("auto"u8) || v.ValueEquals("default"u8)):
                    break;
                default:
                    problem = c.Unsupported(property.Name);
                    return false;
            }
        }

        if (f.Messages.ValueKind != JsonValueKind.Array)
        {
            problem = TranslationProblems.Missing("messages");
            return false;
        }

        return true;
    }

    private static bool IsPositiveInteger(JsonElement v, out int value)
    {
        value = 0;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out value) && value >= 1;
    }

    private static bool IsNumberIn(JsonElement v, double min, double max) =>
        v.ValueKind == JsonValueKind.Number && v.GetDouble() is var d && d >= min && d <= max;

    private static bool AllStrings(JsonElement array)
    {
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The protocol a request is read for, and the deployment that names it in messages.</summary>
    private readonly record struct Context(TranslationCapabilities Capabilities, string Deployment)
    {
        public RequestProblem Unsupported(string param) => TranslationProblems.Unsupported(param, Deployment, Capabilities.Api);

        public RequestProblem UnsupportedValue(string param, string detail) => TranslationProblems.UnsupportedValue(param, Deployment, Capabilities.Api, detail);
    }

    private struct Fields
    {
        public JsonElement Messages;
        public JsonElement Tools;
        public JsonElement ToolChoice;
        public JsonElement ResponseFormat;
        public JsonElement Stop;
        public JsonElement User;
        public JsonElement Metadata;
        public JsonElement Temperature;
        public JsonElement TopP;
        public JsonElement TopK;
        public JsonElement PresencePenalty;
        public JsonElement FrequencyPenalty;
        public JsonElement Seed;
        public int? MaxTokens;
        public int? MaxCompletionTokens;
        public bool? Stream;
        public bool NoParallelToolCalls;
    }
}
