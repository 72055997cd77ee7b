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
/// Writes an Anthropic Messages API request from an OpenAI chat completion request read by
/// <see cref="ChatRequestReader"/> (which refuses, naming the parameter, what <see cref="Capabilities"/> says Anthropic
/// cannot express).
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
///   temperature (0 to 1), top_p, top_k   →   temperature, top_p, top_k
///   tools / tool_choice                  →   tools (input_schema) / tool_choice auto|any|none|tool
///   parallel_tool_calls: false           →   tool_choice.disable_parallel_tool_use
///   response_format json_schema          →   output_config.format (or a forced tool, per configuration)
///   response_format json_object          →   a forced tool whose input is the answer
///   user                                 →   metadata.user_id
///   penalties, audio and what no protocol expresses → 400 unsupported_parameter
/// </code>
/// Ignored, because they ask nothing of the model: <c>seed</c> (best effort by OpenAI's own definition) and what the
/// reader ignores for every protocol.
/// </remarks>
internal static partial class AnthropicRequestWriter
{
    /// <summary>How error messages name the protocol.</summary>
    public const string Api = "Anthropic's Messages API";

    /// <summary>The forced tool carrying a JSON mode answer when the schema gives no name.</summary>
    public const string JsonToolName = "json_response";

    /// <summary>What Anthropic's Messages API can express.</summary>
    public static readonly TranslationCapabilities Capabilities = new(Api, "Anthropic")
    {
        MaxTemperature = 1,
        TopK = true,
        Tools = true,
        DisableParallelToolCalls = true,
        JsonObject = true,
        JsonSchema = true,
        Images = new MediaCapability("images") { InlineTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"], InlineTypesText = "JPEG, PNG, GIF or WebP", WebUrls = true },
        Files = new MediaCapability("documents") { InlineTypes = ["application/pdf"], InlineTypesText = "PDF" },
        MediaInToolResults = true,
    };

    /// <summary>Writes the request body. False, with the problem naming the parameter, when it cannot be expressed.</summary>
    public static bool TryWrite(ReadOnlyMemory<byte> openAiBody, AnthropicRequestOptions options, IBufferWriter<byte> output, out RequestProblem problem)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!ChatRequestReader.TryRead(openAiBody, Capabilities, options.Deployment, out var request, out problem))
        {
            return false;
        }

        using (request)
        {
            if (!TryReadJsonFormat(request, options, out var format, out problem))
            {
                return false;
            }

            using var w = new Utf8JsonWriter(output, TranslationJson.WriterOptions);
            Write(w, request, format, options);
            return true;
        }
    }

    /// <summary>Whether the answer to a request with <paramref name="responseFormat"/> arrives as a forced tool's input.</summary>
    public static bool UsesJsonTool(string? responseFormat, bool nativeJsonSchema) =>
        responseFormat == "json_object" || (responseFormat == "json_schema" && !nativeJsonSchema);

    private static void Write(Utf8JsonWriter w, ChatRequest request, in JsonFormat format, AnthropicRequestOptions options)
    {
        w.WriteStartObject();
        w.WriteString("model", options.Model);
        w.WriteNumber("max_tokens", request.MaxTokens ?? options.DefaultMaxTokens);
        WriteSystem(w, request.Messages);
        WriteMessages(w, request.Messages);
        if (request.Stop.IsSet)
        {
            request.Stop.WriteArray(w, "stop_sequences");
        }

        WriteIfSet(w, "temperature", request.Temperature);
        WriteIfSet(w, "top_p", request.TopP);
        WriteIfSet(w, "top_k", request.TopK);
        WriteTools(w, request, format);
        if (request.User.ValueKind == JsonValueKind.String)
        {
            w.WriteStartObject("metadata");
            w.WritePropertyName("user_id");
            request.User.WriteTo(w);
            w.WriteEndObject();
        }

        if (request.Stream is { } stream)
        {
            w.WriteBoolean("stream", stream);
        }

        w.WriteEndObject();
    }

    private static void WriteIfSet(Utf8JsonWriter w, string name, OptionalNumber value)
    {
        if (value.IsSet)
        {
            value.Write(w, name);
        }
    }
}
