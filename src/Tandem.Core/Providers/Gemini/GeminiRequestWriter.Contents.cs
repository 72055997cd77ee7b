using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Gemini;

/// <summary>System instruction, contents and parts of a Gemini request.</summary>
internal static partial class GeminiRequestWriter
{
    /// <summary>
    /// Writes <c>contents</c> (consecutive messages of one Gemini role share a content, as parallel function responses
    /// must) and, when there are system or developer messages, <c>systemInstruction</c>.
    /// </summary>
    private static bool TryWriteContents(Utf8JsonWriter w, ReadOnlySpan<ChatMessage> messages, GeminiRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        Dictionary<string, string>? names = null; // tool call id → function name
        w.WriteStartArray("contents");
        string? open = null;
        foreach (var m in messages)
        {
            if (m.Role == ChatRole.System)
            {
                continue;
            }

            var role = m.Role == ChatRole.Assistant ? "model" : "user";
            if (open != role)
            {
                if (open is not null)
                {
                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteStartObject();
                w.WriteString("role", role);
                w.WriteStartArray("parts");
                open = role;
            }

            switch (m.Role)
            {
                case ChatRole.Assistant:
                    WriteModelParts(w, m, ref names);
                    break;
                case ChatRole.Tool:
                    if (!TryWriteFunctionResponse(w, m, names, options, out problem))
                    {
                        return false;
                    }

                    break;
                default:
                    WriteUserParts(w, m);
                    break;
            }
        }

        if (open is not null)
        {
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        var system = false;
        foreach (var m in messages)
        {
            if (m.Role != ChatRole.System)
            {
                continue;
            }

            if (!system)
            {
                w.WriteStartObject("systemInstruction");
                w.WriteStartArray("parts");
                system = true;
            }

            WriteUserParts(w, m);
        }

        if (system)
        {
            w.WriteEndArray();
            w.WriteEndObject();
        }

        return true;
    }

    /// <summary>Writes a user (or system) message's content as parts: text, inline data and file data.</summary>
    private static void WriteUserParts(Utf8JsonWriter w, in ChatMessage m)
    {
        foreach (var part in m.Parts.Span)
        {
            if (part.IsText)
            {
                WriteText(w, part.Text);
                continue;
            }

            w.WriteStartObject();
            if (part.Media.IsInline)
            {
                w.WriteStartObject("inlineData");
                w.WriteString("mimeType", part.Media.MediaType);
                w.WriteString("data", part.Media.Data);
            }
            else
            {
                w.WriteStartObject("fileData");
                w.WriteString("mimeType", part.Media.MediaType);
                w.WriteString("fileUri", part.Media.Url);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }
    }

    /// <summary>Writes an assistant message as model parts: its text, then its tool calls as function calls.</summary>
    private static void WriteModelParts(Utf8JsonWriter w, in ChatMessage m, ref Dictionary<string, string>? names)
    {
        foreach (var part in m.Parts.Span)
        {
            // A string content that is empty says nothing; parts of an array are sent as they are.
            if (part.Index >= 0 || !part.Text.ValueEquals(""u8))
            {
                WriteText(w, part.Text);
            }
        }

        foreach (var call in m.ToolCalls.Span)
        {
            var id = call.Id.GetString()!;
            (names ??= new(StringComparer.Ordinal))[id] = call.Name.GetString()!;
            var (callId, signature) = GeminiWire.SplitToolCallId(id);
            w.WriteStartObject();
            w.WriteStartObject("functionCall");
            w.WriteString("id", callId);
            w.WritePropertyName("name");
            call.Name.WriteTo(w);
            w.WritePropertyName("args");
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
            if (signature is not null)
            {
                w.WriteString("thoughtSignature", signature);
            }

            w.WriteEndObject();
        }
    }

    /// <summary>Writes a tool message as a function response, named after the call it answers.</summary>
    private static bool TryWriteFunctionResponse(Utf8JsonWriter w, in ChatMessage m, Dictionary<string, string>? names, GeminiRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        var id = m.ToolCallId.GetString()!;
        if (names is null || !names.TryGetValue(id, out var name))
        {
            problem = TranslationProblems.Invalid($"messages[{m.Index}].tool_call_id", "no earlier assistant message has a tool call with this id (Gemini needs the function's name).");
            return false;
        }

        var text = m.Text();
        w.WriteStartObject();
        w.WriteStartObject("functionResponse");
        w.WriteString("id", GeminiWire.SplitToolCallId(id).Id);
        w.WriteString("name", name);
        w.WritePropertyName("response");
        if (!TryWriteJsonObject(w, text))
        {
            // Gemini takes a JSON object; other results go under "output", the key its documentation names for them.
            w.WriteStartObject();
            w.WriteString("output", text);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
        return true;
    }

    private static bool TryWriteJsonObject(Utf8JsonWriter w, string text)
    {
        if (!text.AsSpan().TrimStart().StartsWith("{"))
        {
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            doc.RootElement.WriteTo(w);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void WriteText(Utf8JsonWriter w, JsonElement text)
    {
        w.WriteStartObject();
        w.WritePropertyName("text");
        text.WriteTo(w);
        w.WriteEndObject();
    }
}
