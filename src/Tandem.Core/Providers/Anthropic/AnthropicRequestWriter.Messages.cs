using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Anthropic;

/// <summary>System prompt, turns and content blocks of an Anthropic request.</summary>
internal static partial class AnthropicRequestWriter
{
    private enum Turn
    {
        System,
        User,
        Assistant,
        Tool,
    }

    /// <summary>Writes <c>system</c> from the system and developer messages (wherever they stand), if there are any.</summary>
    private static bool TryWriteSystem(Utf8JsonWriter w, JsonElement messages, AnthropicRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        var count = 0;
        JsonElement only = default;
        var allStrings = true;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.Object && RoleOf(m) is Turn.System)
            {
                count++;
                only = m;
                allStrings &= m.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String;
            }
        }

        if (count == 0)
        {
            return true;
        }

        if (count == 1 && allStrings)
        {
            w.WritePropertyName("system");
            only.GetProperty("content").WriteTo(w);
            return true;
        }

        w.WriteStartArray("system");
        var i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.Object && RoleOf(m) is Turn.System)
            {
                var content = m.TryGetProperty("content", out var c) ? c : default;
                if (content.ValueKind == JsonValueKind.String)
                {
                    WriteText(w, content, default);
                }
                else if (content.ValueKind == JsonValueKind.Array)
                {
                    var k = 0;
                    foreach (var part in content.EnumerateArray())
                    {
                        if (!IsPart(part, "text", out var text))
                        {
                            problem = TranslationProblems.UnsupportedValue($"messages[{i}].content[{k}]", options.Deployment, Api, "a system message holds text only");
                            return false;
                        }

                        WriteText(w, text, part.TryGetProperty("cache_control", out var cache) ? cache : default);
                        k++;
                    }
                }
                else
                {
                    problem = TranslationProblems.Invalid($"messages[{i}].content", "expected a string or an array of content parts.");
                    return false;
                }
            }

            i++;
        }

        w.WriteEndArray();
        return true;
    }

    /// <summary>
    /// Writes <c>messages</c>: consecutive messages of one Anthropic role share a turn (tool results and the user text
    /// after them, for instance), as Anthropic requires turns to alternate.
    /// </summary>
    private static bool TryWriteMessages(Utf8JsonWriter w, JsonElement messages, AnthropicRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        var turns = new List<(int Index, JsonElement Message, Turn Kind)>(messages.GetArrayLength());
        var i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var r) || r.ValueKind != JsonValueKind.String)
            {
                problem = TranslationProblems.Invalid($"messages[{i}]", "expected an object with a 'role'.");
                return false;
            }

            var kind = RoleOf(m);
            if (kind is null)
            {
                problem = TranslationProblems.UnsupportedValue($"messages[{i}].role", options.Deployment, Api, $"role '{r.GetString()}' cannot be translated");
                return false;
            }

            if (kind != Turn.System)
            {
                turns.Add((i, m, kind.Value));
            }

            i++;
        }

        w.WriteStartArray("messages");
        for (var start = 0; start < turns.Count;)
        {
            var role = AnthropicRole(turns[start].Kind);
            var end = start + 1;
            while (end < turns.Count && AnthropicRole(turns[end].Kind) == role)
            {
                end++;
            }

            w.WriteStartObject();
            w.WriteString("role", role);
            if (end == start + 1 && PlainText(turns[start].Message, turns[start].Kind) is { } text)
            {
                w.WritePropertyName("content");
                text.WriteTo(w);
            }
            else
            {
                w.WriteStartArray("content");
                for (var t = start; t < end; t++)
                {
                    var (index, message, kind) = turns[t];
                    var ok = kind switch
                    {
                        Turn.Tool => TryWriteToolResult(w, message, index, options, out problem),
                        Turn.Assistant => TryWriteAssistant(w, message, index, options, out problem),
                        _ => TryWriteContent(w, message, index, options, out problem),
                    };
                    if (!ok)
                    {
                        return false;
                    }
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
            start = end;
        }

        w.WriteEndArray();
        return true;
    }

    private static Turn? RoleOf(JsonElement message) => message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String
        ? r.GetString() switch
        {
            "system" or "developer" => Turn.System,
            "user" => Turn.User,
            "assistant" => Turn.Assistant,
            "tool" => Turn.Tool,
            _ => null,
        }
        : null;

    private static string AnthropicRole(Turn kind) => kind == Turn.Assistant ? "assistant" : "user";

    /// <summary>A message that is nothing but a string, which Anthropic takes as is; null otherwise.</summary>
    private static JsonElement? PlainText(JsonElement message, Turn kind) =>
        kind is Turn.User or Turn.Assistant
        && message.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String && c.GetString()!.Length > 0
        && !(message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array && calls.GetArrayLength() > 0)
            ? c
            : null;

    /// <summary>Writes a user message's content as blocks (text, images, documents).</summary>
    private static bool TryWriteContent(Utf8JsonWriter w, JsonElement message, int i, AnthropicRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            problem = TranslationProblems.Invalid($"messages[{i}].content", "a user message needs content.");
            return false;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            if (content.GetString()!.Length > 0)
            {
                WriteText(w, content, default);
            }

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
            if (!TryWritePart(w, part, $"messages[{i}].content[{k}]", options, out problem))
            {
                return false;
            }

            k++;
        }

        return true;
    }

    /// <summary>Writes an assistant message: its text, then its tool calls as <c>tool_use</c> blocks.</summary>
    private static bool TryWriteAssistant(Utf8JsonWriter w, JsonElement message, int i, AnthropicRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        if (message.TryGetProperty("function_call", out var legacy) && legacy.ValueKind != JsonValueKind.Null)
        {
            problem = TranslationProblems.Unsupported($"messages[{i}].function_call", options.Deployment, Api);
            return false;
        }

        if (message.TryGetProperty("content", out var content))
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                if (content.GetString()!.Length > 0)
                {
                    WriteText(w, content, default);
                }
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                var k = 0;
                foreach (var part in content.EnumerateArray())
                {
                    // A refusal the assistant gave is part of the conversation's text.
                    if (!IsPart(part, "text", out var text) && !IsPart(part, "refusal", out text, "refusal"))
                    {
                        problem = TranslationProblems.UnsupportedValue($"messages[{i}].content[{k}]", options.Deployment, Api, "an assistant message holds text only");
                        return false;
                    }

                    if (text.GetString()!.Length > 0)
                    {
                        WriteText(w, text, part.TryGetProperty("cache_control", out var cache) ? cache : default);
                    }

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
            var path = $"messages[{i}].tool_calls[{j}]";
            if (call.ValueKind != JsonValueKind.Object
                || !call.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                problem = TranslationProblems.Invalid(path, "a tool call needs an id and a function name.");
                return false;
            }

            var arguments = function.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "";
            w.WriteStartObject();
            w.WriteString("type", "tool_use");
            w.WritePropertyName("id");
            id.WriteTo(w);
            w.WritePropertyName("name");
            name.WriteTo(w);
            w.WritePropertyName("input");
            if (!TryWriteArguments(w, arguments))
            {
                problem = TranslationProblems.Invalid(path + ".function.arguments", "Anthropic needs the arguments of a tool call as a JSON object.");
                return false;
            }

            w.WriteEndObject();
            j++;
        }

        return true;
    }

    /// <summary>OpenAI carries tool arguments as JSON text; Anthropic as the object itself.</summary>
    private static bool TryWriteArguments(Utf8JsonWriter w, string arguments)
    {
        if (string.IsNullOrWhiteSpace(arguments))
        {
            w.WriteStartObject();
            w.WriteEndObject();
            return true;
        }

        try
        {
            using var args = JsonDocument.Parse(arguments);
            if (args.RootElement.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            args.RootElement.WriteTo(w);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Writes a tool message as a <c>tool_result</c> block.</summary>
    private static bool TryWriteToolResult(Utf8JsonWriter w, JsonElement message, int i, AnthropicRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        if (!message.TryGetProperty("tool_call_id", out var id) || id.ValueKind != JsonValueKind.String)
        {
            problem = new($"Missing required parameter: 'messages[{i}].tool_call_id'.", $"messages[{i}].tool_call_id", "missing_required_parameter");
            return false;
        }

        w.WriteStartObject();
        w.WriteString("type", "tool_result");
        w.WritePropertyName("tool_use_id");
        id.WriteTo(w);
        var content = message.TryGetProperty("content", out var c) ? c : default;
        if (content.ValueKind == JsonValueKind.String)
        {
            w.WritePropertyName("content");
            content.WriteTo(w);
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            w.WriteStartArray("content");
            var k = 0;
            foreach (var part in content.EnumerateArray())
            {
                if (!TryWritePart(w, part, $"messages[{i}].content[{k}]", options, out problem))
                {
                    return false;
                }

                k++;
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
        return true;
    }
}
