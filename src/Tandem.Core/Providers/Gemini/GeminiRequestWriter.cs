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
/// Writes a Gemini <c>generateContent</c> request from an OpenAI chat completion request read by
/// <see cref="ChatRequestReader"/> (the model and whether to stream are in the URL, not the body).
/// </summary>
/// <remarks>
/// <code>
///   OpenAI                                   Gemini
///   messages[role=system|developer]      →   systemInstruction.parts
///   messages[role=user]                  →   contents[role=user]: text, inlineData (data URLs, audio), fileData (URLs)
///   messages[role=assistant]             →   contents[role=model]: text, functionCall (id, name, args, thoughtSignature)
///   messages[role=tool]                  →   contents[role=user]: functionResponse (name found from the call's id)
///   tools / tool_choice                  →   tools[].functionDeclarations / toolConfig.functionCallingConfig
///   max_tokens, temperature, top_p, top_k, penalties, seed, stop → generationConfig
///   response_format json_object          →   generationConfig.responseMimeType application/json
///   response_format json_schema          →   … and responseSchema (converted) or responseJsonSchema
///   parallel_tool_calls: false and what no protocol expresses → 400 naming the parameter
/// </code>
/// Ignored, because they ask nothing of the model: <c>user</c> and what the reader ignores for every protocol.
/// </remarks>
internal static partial class GeminiRequestWriter
{
    /// <summary>How error messages name the protocol.</summary>
    public const string Api = "Google's Gemini API";

    /// <summary>Gemini takes any media inline, and by URL when it knows the type (images, audio and documents alike).</summary>
    private static readonly MediaCapability Media = new("media") { WebUrls = true, CloudStorageUrls = true, UrlsNeedMediaType = true };

    /// <summary>What Gemini's API can express.</summary>
    public static readonly TranslationCapabilities Capabilities = new(Api, "Gemini")
    {
        TopK = true,
        PresencePenalty = true,
        FrequencyPenalty = true,
        Tools = true,
        JsonObject = true,
        JsonSchema = true,
        Images = Media,
        Files = Media,
        Audio = true,
    };

    public static bool TryWrite(ReadOnlyMemory<byte> openAiBody, GeminiRequestOptions options, IBufferWriter<byte> output, out RequestProblem problem)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!ChatRequestReader.TryRead(openAiBody, Capabilities, options.Deployment, out var request, out problem))
        {
            return false;
        }

        using (request)
        {
            using var w = new Utf8JsonWriter(output, TranslationJson.WriterOptions);
            w.WriteStartObject();
            if (!TryWriteContents(w, request.Messages, options, out problem) || !TryWriteTools(w, request, options, out problem))
            {
                return false;
            }

            if (!TryWriteGenerationConfig(w, request, options, out problem))
            {
                return false;
            }

            w.WriteEndObject();
            return true;
        }
    }

    private static bool TryWriteGenerationConfig(Utf8JsonWriter w, ChatRequest request, GeminiRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        w.WriteStartObject("generationConfig");
        if (request.MaxTokens is { } max)
        {
            w.WriteNumber("maxOutputTokens", max);
        }

        WriteIfSet(w, "temperature", request.Temperature);
        WriteIfSet(w, "topP", request.TopP);
        WriteIfSet(w, "topK", request.TopK);
        WriteIfSet(w, "presencePenalty", request.PresencePenalty);
        WriteIfSet(w, "frequencyPenalty", request.FrequencyPenalty);
        WriteIfSet(w, "seed", request.Seed);
        if (request.Stop.IsSet)
        {
            request.Stop.WriteArray(w, "stopSequences");
        }

        var format = request.ResponseFormat;
        if (format.Kind != ResponseFormatKind.Text)
        {
            w.WriteString("responseMimeType", "application/json");
        }

        if (format.Kind == ResponseFormatKind.JsonSchema
            && !TryWriteSchema(w, options.JsonSchemas ? "responseJsonSchema" : "responseSchema", format.Schema, "response_format.json_schema.schema", options, out problem))
        {
            return false;
        }

        w.WriteEndObject();
        return true;
    }

    private static void WriteIfSet(Utf8JsonWriter w, string name, OptionalNumber value)
    {
        if (value.IsSet)
        {
            value.Write(w, name);
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
}
