using System.Text.Json;
using Tandem.Wire;

namespace Tandem.Providers.Translation;

/// <summary>Messages, their content parts and tool calls.</summary>
internal static partial class ChatRequestReader
{
    /// <summary>What a message's content may hold.</summary>
    private enum PartRules
    {
        /// <summary>System and developer messages: text only.</summary>
        SystemText,

        /// <summary>User messages: text, and media as the protocol allows.</summary>
        User,

        /// <summary>Assistant messages: text and refusals.</summary>
        Assistant,

        /// <summary>Tool results: text, and media where the protocol takes them in results.</summary>
        Tool,
    }

    /// <summary>
    /// Reads every message into one array, their parts into another and their tool calls into a third (counted
    /// first), so that a request costs three allocations however long the conversation.
    /// </summary>
    private static bool TryReadMessages(JsonElement array, in Context c, out ChatMessage[] messages, out ToolCall[] calls, out RequestProblem problem)
    {
        var partCount = 0;
        var callCount = 0;
        foreach (var m in array.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (m.TryGetProperty("content", out var content))
            {
                partCount += content.ValueKind switch
                {
                    JsonValueKind.String => 1,
                    JsonValueKind.Array => content.GetArrayLength(),
                    _ => 0,
                };
            }

            if (m.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
            {
                callCount += toolCalls.GetArrayLength();
            }
        }

        messages = new ChatMessage[array.GetArrayLength()];
        var parts = partCount == 0 ? [] : new ContentPart[partCount];
        calls = callCount == 0 ? [] : new ToolCall[callCount];
        var usedParts = 0;
        var usedCalls = 0;
        var i = 0;
        foreach (var m in array.EnumerateArray())
        {
            if (!TryReadMessage(m, i, c, parts, ref usedParts, calls, ref usedCalls, out messages[i], out problem))
            {
                foreach (var call in calls.AsSpan(0, usedCalls))
                {
                    call.ArgumentsDocument?.Dispose();
                }

                messages = [];
                calls = [];
                return false;
            }

            i++;
        }

        problem = default;
        return true;
    }

    private static bool TryReadMessage(JsonElement m, int i, in Context c, ContentPart[] parts, ref int usedParts, ToolCall[] calls, ref int usedCalls, out ChatMessage message, out RequestProblem problem)
    {
        message = default;
        if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var r) || r.ValueKind != JsonValueKind.String)
        {
            problem = TranslationProblems.Invalid($"messages[{i}]", "expected an object with a 'role'.");
            return false;
        }

        ChatRole? known = r.ValueEquals("user"u8) ? ChatRole.User
            : r.ValueEquals("assistant"u8) ? ChatRole.Assistant
            : r.ValueEquals("system"u8) || r.ValueEquals("developer"u8) ? ChatRole.System
            : r.ValueEquals("tool"u8) && c.Capabilities.Tools ? ChatRole.Tool
            : null;
        if (known is not { } role)
        {
            problem = c.UnsupportedValue($"messages[{i}].role", $"role '{r.GetString()}' cannot be translated");
            return false;
        }

        var content = m.TryGetProperty("content", out var co) && co.ValueKind != JsonValueKind.Null ? co : default;
        var toolCallId = default(JsonElement);
        if (role == ChatRole.Tool && (!m.TryGetProperty("tool_call_id", out toolCallId) || toolCallId.ValueKind != JsonValueKind.String))
        {
            problem = TranslationProblems.Missing($"messages[{i}].tool_call_id");
            return false;
        }

        if (role == ChatRole.Assistant && m.TryGetProperty("function_call", out var legacy) && legacy.ValueKind != JsonValueKind.Null)
        {
            problem = c.Unsupported($"messages[{i}].function_call");
            return false;
        }

        if (content.ValueKind == JsonValueKind.Undefined && role is ChatRole.System or ChatRole.User)
        {
            problem = TranslationProblems.Invalid($"messages[{i}].content", $"a {(role == ChatRole.System ? "system" : "user")} message needs content.");
            return false;
        }

        var firstPart = usedParts;
        if (content.ValueKind != JsonValueKind.Undefined)
        {
            var rules = role switch
            {
                ChatRole.System => PartRules.SystemText,
                ChatRole.Assistant => PartRules.Assistant,
                ChatRole.Tool => PartRules.Tool,
                _ => PartRules.User,
            };
            if (!TryReadContent(content, i, rules, c, parts, ref usedParts, out problem))
            {
                return false;
            }
        }

        var firstCall = usedCalls;
        if (role == ChatRole.Assistant && m.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind != JsonValueKind.Null
            && !TryReadToolCalls(toolCalls, i, c, calls, ref usedCalls, out problem))
        {
            return false;
        }

        message = new ChatMessage
        {
            Index = i,
            Role = role,
            Content = content,
            Parts = new ReadOnlyMemory<ContentPart>(parts, firstPart, usedParts - firstPart),
            ToolCalls = new ReadOnlyMemory<ToolCall>(calls, firstCall, usedCalls - firstCall),
            ToolCallId = toolCallId,
        };
        problem = default;
        return true;
    }

    private static bool TryReadContent(JsonElement content, int i, PartRules rules, in Context c, ContentPart[] parts, ref int used, out RequestProblem problem)
    {
        problem = default;
        if (content.ValueKind == JsonValueKind.String)
        {
            parts[used++] = new ContentPart { Kind = ContentKind.Text, Index = -1, Text = content };
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
            if (!TryReadPart(part, i, k, rules, c, out parts[used], out problem))
            {
                return false;
            }

            used++;
            k++;
        }

        return true;
    }

    /// <summary>One content part; its path (<c>messages[i].content[k]</c>) is only made for a problem.</summary>
    private static bool TryReadPart(JsonElement part, int i, int k, PartRules rules, in Context c, out ContentPart read, out RequestProblem problem)
    {
        read = default;
        problem = default;
        if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            problem = TranslationProblems.Invalid(PartPath(i, k), "expected an object with a 'type'.");
            return false;
        }

        var cache = part.TryGetProperty("cache_control", out var cc) && cc.ValueKind == JsonValueKind.Object ? cc : default;
        var refusal = rules == PartRules.Assistant && type.ValueEquals("refusal"u8);
        if (type.ValueEquals("text"u8) || refusal)
        {
            var field = refusal ? "refusal" : "text";
            if (!part.TryGetProperty(field, out var text) || text.ValueKind != JsonValueKind.String)
            {
                problem = TranslationProblems.Invalid($"{PartPath(i, k)}.{field}", "expected a string.");
                return false;
            }

            read = new ContentPart { Kind = refusal ? ContentKind.Refusal : ContentKind.Text, Index = k, Text = text, CacheControl = cache };
            return true;
        }

        switch (rules)
        {
            case PartRules.SystemText:
                problem = c.UnsupportedValue(PartPath(i, k), "a system message holds text only");
                return false;
            case PartRules.Assistant:
                problem = c.UnsupportedValue(PartPath(i, k), "an assistant message holds text only");
                return false;
            case PartRules.Tool when !c.Capabilities.MediaInToolResults:
                problem = c.UnsupportedValue(PartPath(i, k), "a tool message holds text only");
                return false;
        }

        if (!TryReadMedia(part, type, i, k, c, out var kind, out var media, out problem))
        {
            return false;
        }

        read = new ContentPart { Kind = kind, Index = k, Media = media, CacheControl = cache };
        return true;
    }

    private static string PartPath(int i, int k) => $"messages[{i}].content[{k}]";

    private static bool TryReadToolCalls(JsonElement toolCalls, int i, in Context c, ToolCall[] calls, ref int used, out RequestProblem problem)
    {
        problem = default;
        if (toolCalls.ValueKind != JsonValueKind.Array)
        {
            problem = TranslationProblems.Invalid($"messages[{i}].tool_calls", "expected an array of tool calls.");
            return false;
        }

        if (toolCalls.GetArrayLength() > 0 && !c.Capabilities.Tools)
        {
            problem = c.Unsupported($"messages[{i}].tool_calls");
            return false;
        }

        var j = 0;
        foreach (var call in toolCalls.EnumerateArray())
        {
            if (call.ValueKind != JsonValueKind.Object
                || !call.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                problem = TranslationProblems.Invalid($"messages[{i}].tool_calls[{j}]", "a tool call needs an id and a function name.");
                return false;
            }

            JsonDocument? arguments = null;
            if (function.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String && a.GetString() is { } text && !string.IsNullOrWhiteSpace(text)
                && !TryParseObject(text, out arguments))
            {
                // OpenAI carries the arguments as JSON text; every protocol Tandem translates to takes the object itself.
                problem = TranslationProblems.Invalid($"messages[{i}].tool_calls[{j}].function.arguments", $"{c.Capabilities.Provider} needs the arguments of a tool call as a JSON object.");
                return false;
            }

            calls[used++] = new ToolCall { Index = j, Id = id, Name = name, Arguments = arguments?.RootElement ?? default, ArgumentsDocument = arguments };
            j++;
        }

        return true;
    }

    private static bool TryParseObject(string text, out JsonDocument? document)
    {
        document = null;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return false;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            document = null;
            return false;
        }

        return true;
    }
}
