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
    private static bool TryWriteContents(Utf8JsonWriter w, JsonElement messages, GeminiRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        var turns = new List<(int Index, JsonElement Message, string Role)>(messages.GetArrayLength());
        var system = new List<(int Index, JsonElement Message)>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal); // tool call id → function name
        var i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            var role = m.ValueKind == JsonValueKind.Object && m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            switch (role)
            {
                case "system" or "developer":
                    system.Add((i, m));
                    break;
                case "user" or "tool":
                    turns.Add((i, m, "user"));
                    break;
                case "assistant":
                    turns.Add((i, m, "model"));
                    break;
                case null:
                    problem = TranslationProblems.Invalid($"messages[{i}]", "expected an object with a 'role'.");
                    return false;
                default:
                    problem = TranslationProblems.UnsupportedValue($"messages[{i}].role", options.Deployment, Api, $"role '{role}' cannot be translated");
                    return false;
            }

            i++;
        }

        w.WriteStartArray("contents");
        for (var start = 0; start < turns.Count;)
        {
            var role = turns[start].Role;
            var end = start + 1;
            while (end < turns.Count && turns[end].Role == role)
            {
                end++;
            }

            w.WriteStartObject();
            w.WriteString("role", role);
            w.WriteStartArray("parts");
            for (var t = start; t < end; t++)
            {
                var (index, message, _) = turns[t];
                var ok = role == "model"
                    ? TryWriteModelParts(w, message, index, names, options, out problem)
                    : message.GetProperty("role").ValueEquals("tool")
                        ? TryWriteFunctionResponse(w, message, index, names, out problem)
                        : TryWriteUserParts(w, message, index, options, out problem);
                if (!ok)
                {
                    return false;
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
            start = end;
        }

        w.WriteEndArray();
        if (system.Count == 0)
        {
            return true;
        }

        w.WriteStartObject("systemInstruction");
        w.WriteStartArray("parts");
        foreach (var (index, message) in system)
        {
            if (!TryWriteUserParts(w, message, index, options, out problem, textOnly: true))
            {
                return false;
            }
        }

        w.WriteEndArray();
        w.WriteEndObject();
        return true;
    }

    /// <summary>Writes a user (or system) message's content as parts.</summary>
    private static bool TryWriteUserParts(Utf8JsonWriter w, JsonElement message, int i, GeminiRequestOptions options, out RequestProblem problem, bool textOnly = false)
    {
        problem = default;
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            problem = TranslationProblems.Invalid($"messages[{i}].content", "the message needs content.");
            return false;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            WriteText(w, content);
            return true;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            problem = TranslationProblems.Invalid($"messages[{i}].content", "expected a string or an array of content parts.");
            return false;
        }

        var k = 0;
        foreach (var part in content.EnumerateArray())
        {
            var path = $"messages[{i}].content[{k++}]";
            var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type == "text" && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                WriteText(w, text);
            }
            else if (textOnly)
            {
                problem = TranslationProblems.UnsupportedValue(path, options.Deployment, Api, "a system message holds text only");
                return false;
            }
            else if (!TryWriteMedia(w, part, type, path, options, out problem))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes an assistant message as model parts: its text, then its tool calls as function calls.</summary>
    private static bool TryWriteModelParts(Utf8JsonWriter w, JsonElement message, int i, Dictionary<string, string> names, GeminiRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        if (message.TryGetProperty("content", out var content))
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                if (content.GetString()!.Length > 0)
                {
                    WriteText(w, content);
                }
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                var k = 0;
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var t)
                        || !(t.ValueEquals("text") || t.ValueEquals("refusal"))
                        || !part.TryGetProperty(t.GetString()!, out var text) || text.ValueKind != JsonValueKind.String)
                    {
                        problem = TranslationProblems.UnsupportedValue($"messages[{i}].content[{k}]", options.Deployment, Api, "an assistant message holds text only");
                        return false;
                    }

                    WriteText(w, text);
                    k++;
                }
            }
        }

        if (!message.TryGetProperty("tool_calls", out var calls) || calls.ValueKind != JsonValueKind.Array)
        {
            return true;
        }

        var j = 0;
        foreach (var call in calls.EnumerateArray())
        {
            var path = $"messages[{i}].tool_calls[{j++}]";
            if (call.ValueKind != JsonValueKind.Object
                || !call.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                problem = TranslationProblems.Invalid(path, "a tool call needs an id and a function name.");
                return false;
            }

            names[id.GetString()!] = name.GetString()!;
            var (callId, signature) = GeminiWire.SplitToolCallId(id.GetString()!);
            var arguments = function.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "";
            w.WriteStartObject();
            w.WriteStartObject("functionCall");
            w.WriteString("id", callId);
            w.WritePropertyName("name");
            name.WriteTo(w);
            w.WritePropertyName("args");
            if (!TryWriteArguments(w, arguments))
            {
                problem = TranslationProblems.Invalid(path + ".function.arguments", "Gemini needs the arguments of a tool call as a JSON object.");
                return false;
            }

            w.WriteEndObject();
            if (signature is not null)
            {
                w.WriteString("thoughtSignature", signature);
            }

            w.WriteEndObject();
        }

        return true;
    }

    /// <summary>Writes a tool message as a function response, named after the call it answers.</summary>
    private static bool TryWriteFunctionResponse(Utf8JsonWriter w, JsonElement message, int i, Dictionary<string, string> names, out RequestProblem problem)
    {
        problem = default;
        if (!message.TryGetProperty("tool_call_id", out var id) || id.ValueKind != JsonValueKind.String)
        {
            problem = new($"Missing required parameter: 'messages[{i}].tool_call_id'.", $"messages[{i}].tool_call_id", "missing_required_parameter");
            return false;
        }

        if (!names.TryGetValue(id.GetString()!, out var name))
        {
            problem = TranslationProblems.Invalid($"messages[{i}].tool_call_id", "no earlier assistant message has a tool call with this id (Gemini needs the function's name).");
            return false;
        }

        var text = message.TryGetProperty("content", out var content) ? TextOf(content) : "";
        w.WriteStartObject();
        w.WriteStartObject("functionResponse");
        w.WriteString("id", GeminiWire.SplitToolCallId(id.GetString()!).Id);
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

    private static string TextOf(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        var sb = new System.Text.StringBuilder();
        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    sb.Append(t.GetString());
                }
            }
        }

        return sb.ToString();
    }

    /// <summary>OpenAI carries tool arguments as JSON text; Gemini as the object itself.</summary>
    private static bool TryWriteArguments(Utf8JsonWriter w, string arguments)
    {
        if (string.IsNullOrWhiteSpace(arguments))
        {
            w.WriteStartObject();
            w.WriteEndObject();
            return true;
        }

        return TryWriteJsonObject(w, arguments);
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
