using System.Buffers;
using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Bedrock;

/// <summary>
/// Writes a Bedrock <c>Converse</c> request from an OpenAI chat request read by <see cref="ChatRequestReader"/>: system
/// messages to <c>system</c>; user, assistant and tool turns to alternating <c>messages</c> of content blocks
/// (<c>text</c>, <c>image</c> bytes, <c>toolUse</c>, <c>toolResult</c>); limits and sampling to
/// <c>inferenceConfig</c>; functions and the tool choice to <c>toolConfig</c>; a JSON schema to <c>outputConfig</c>.
/// </summary>
/// <remarks>
/// Bedrock wants roles to alternate, so consecutive turns of one role (several tool results, a user turn after
/// them) are merged into one message, and system messages anywhere in the conversation go to <c>system</c>.
/// What Converse cannot express is refused by name (<see cref="Capabilities"/>): presence and frequency penalties,
/// <c>top_k</c>, <c>parallel_tool_calls: false</c>, <c>json_object</c> without a schema, image URLs (Bedrock takes
/// bytes: send a <c>data:</c> URL), files and audio; and, here, <c>tool_choice: none</c> in a conversation that already
/// holds tool calls. <c>seed</c> is left out: Converse has none, and OpenAI does not promise determinism either.
/// </remarks>
internal static class ConverseRequestWriter
{
    /// <summary>How error messages name the protocol.</summary>
    public const string Api = "Amazon Bedrock's Converse API";

    /// <summary>What the Converse API can express.</summary>
    public static readonly TranslationCapabilities Capabilities = new(Api, "Converse")
    {
        Tools = true,
        JsonSchema = true,
        Images = new MediaCapability("images")
        {
            InlineTypes = ["image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp"],
            InlineTypesText = "PNG, JPEG, GIF or WebP",
        },
    };

    /// <summary>Writes the request body. False, with the problem naming the parameter, when it cannot be expressed.</summary>
    public static bool TryWrite(ReadOnlyMemory<byte> openAiBody, string deployment, IBufferWriter<byte> output, out RequestProblem problem)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!ChatRequestReader.TryRead(openAiBody, Capabilities, deployment, out var request, out problem))
        {
            return false;
        }

        using (request)
        {
            var sendTools = request.Tools.Length > 0 && request.ToolChoice.Kind != ToolChoiceKind.None;
            if (request.Tools.Length > 0 && request.ToolChoice.Kind == ToolChoiceKind.None && request.HasToolHistory)
            {
                problem = TranslationProblems.UnsupportedValue("tool_choice", deployment, Api, "Converse has no 'none' choice once the conversation holds tool calls");
                return false;
            }

            using var w = new Utf8JsonWriter(output, TranslationJson.WriterOptions);
            w.WriteStartObject();
            WriteMessages(w, request.Messages);
            w.WriteStartArray("system");
            foreach (var m in request.Messages)
            {
                if (m.Role == ChatRole.System && m.Text() is { Length: > 0 } text)
                {
                    w.WriteStartObject();
                    w.WriteString("text", text);
                    w.WriteEndObject();
                }
            }

            w.WriteEndArray();
            WriteInferenceConfig(w, request);
            if (sendTools)
            {
                WriteToolConfig(w, request);
            }

            if (request.ResponseFormat.Kind == ResponseFormatKind.JsonSchema)
            {
                WriteOutputConfig(w, request.ResponseFormat);
            }

            w.WriteEndObject();
            return true;
        }
    }

    private static void WriteMessages(Utf8JsonWriter w, ReadOnlySpan<ChatMessage> messages)
    {
        w.WriteStartArray("messages");
        string? open = null;
        foreach (var m in messages)
        {
            if (m.Role == ChatRole.System || !HasContent(m))
            {
                // Converse refuses empty content; an empty turn says nothing.
                continue;
            }

            var role = m.Role == ChatRole.Assistant ? "assistant" : "user";
            if (open != role)
            {
                if (open is not null)
                {
                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteStartObject();
                w.WriteString("role", role);
                w.WriteStartArray("content");
                open = role;
            }

            WriteBlocks(w, m);
        }

        if (open is not null)
        {
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static bool HasContent(in ChatMessage m)
    {
        if (m.Role == ChatRole.Tool || !m.ToolCalls.IsEmpty)
        {
            return true;
        }

        foreach (var part in m.Parts.Span)
        {
            if (!part.IsText || !part.Text.ValueEquals(""u8))
            {
                return true;
            }
        }

        return false;
    }

    private static void WriteBlocks(Utf8JsonWriter w, in ChatMessage m)
    {
        if (m.Role == ChatRole.Tool)
        {
            w.WriteStartObject();
            w.WriteStartObject("toolResult");
            w.WritePropertyName("toolUseId");
            m.ToolCallId.WriteTo(w);
            w.WriteStartArray("content");
            w.WriteStartObject();
            w.WriteString("text", m.Text());
            w.WriteEndObject();
            w.WriteEndArray();
            // OpenAI tool messages carry no outcome: a result is a result.
            w.WriteString("status", "success");
            w.WriteEndObject();
            w.WriteEndObject();
            return;
        }

        foreach (var part in m.Parts.Span)
        {
            if (part.IsText)
            {
                if (!part.Text.ValueEquals(""u8))
                {
                    w.WriteStartObject();
                    w.WritePropertyName("text");
                    part.Text.WriteTo(w);
                    w.WriteEndObject();
                }

                continue;
            }

            w.WriteStartObject();
            w.WriteStartObject("image");
            w.WriteString("format", part.Media.MediaType is "image/jpg" ? "jpeg" : part.Media.MediaType!["image/".Length..]);
            w.WriteStartObject("source");
            w.WriteString("bytes", part.Media.Data);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        foreach (var call in m.ToolCalls.Span)
        {
            w.WriteStartObject();
            w.WriteStartObject("toolUse");
            w.WritePropertyName("toolUseId");
            call.Id.WriteTo(w);
            w.WritePropertyName("name");
            call.Name.WriteTo(w);
            w.WritePropertyName("input");
            if (call.Arguments.ValueKind == JsonValueKind.Object)
            {
                call.Arguments.WriteTo(w);
            }
            else
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }
    }

    private static void WriteInferenceConfig(Utf8JsonWriter w, ChatRequest request)
    {
        w.WriteStartObject("inferenceConfig");
        if (request.MaxTokens is { } max)
        {
            w.WriteNumber("maxTokens", max);
        }

        if (request.Temperature.IsSet)
        {
            w.WriteNumber("temperature", request.Temperature.Value);
        }

        if (request.TopP.IsSet)
        {
            w.WriteNumber("topP", request.TopP.Value);
        }

        if (request.Stop.Count > 0)
        {
            request.Stop.WriteArray(w, "stopSequences");
        }

        w.WriteEndObject();
    }

    private static void WriteToolConfig(Utf8JsonWriter w, ChatRequest request)
    {
        w.WriteStartObject("toolConfig");
        w.WriteStartArray("tools");
        foreach (var tool in request.Tools)
        {
            w.WriteStartObject();
            w.WriteStartObject("toolSpec");
            w.WritePropertyName("name");
            tool.Name.WriteTo(w);
            if (tool.Description.ValueKind == JsonValueKind.String)
            {
                w.WritePropertyName("description");
                tool.Description.WriteTo(w);
            }

            w.WriteStartObject("inputSchema");
            w.WritePropertyName("json");
            if (tool.Parameters.ValueKind == JsonValueKind.Object)
            {
                // The schema as the client wrote it, byte for byte.
                w.WriteRawValue(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(tool.Parameters), skipInputValidation: true);
            }
            else
            {
                w.WriteRawValue("""{"type":"object","properties":{}}"""u8, skipInputValidation: true);
            }

            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        var choice = request.ToolChoice;
        var kind = choice.Kind switch
        {
            ToolChoiceKind.Required => "any",
            ToolChoiceKind.Function => "tool",
            ToolChoiceKind.Auto => "auto",
            _ => null,
        };
        if (kind is not null)
        {
            w.WriteStartObject("toolChoice");
            w.WriteStartObject(kind);
            if (choice.Name is { } name)
            {
                w.WriteString("name", name);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteOutputConfig(Utf8JsonWriter w, in ResponseFormat format)
    {
        w.WriteStartObject("outputConfig");
        w.WriteStartObject("textFormat");
        w.WriteString("type", "json_schema");
        w.WriteStartObject("structure");
        w.WriteStartObject("jsonSchema");
        w.WriteString("name", format.Name ?? "response");
        if (format.Description is { } description)
        {
            w.WriteString("description", description);
        }

        // Converse takes the schema as a string (as the recorded structured-output request shows).
        w.WriteString("schema", format.Schema.GetRawText());
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
