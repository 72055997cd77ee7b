using System.Text.Json;
using Tandem.Providers.Translation;

namespace Tandem.Providers.Anthropic;

/// <summary>System prompt, turns and content blocks of an Anthropic request.</summary>
internal static partial class AnthropicRequestWriter
{
    /// <summary>Writes <c>system</c> from the system and developer messages (wherever they stand), if there are any.</summary>
    private static void WriteSystem(Utf8JsonWriter w, ReadOnlySpan<ChatMessage> messages)
    {
        var count = 0;
        var allStrings = true;
        ChatMessage only = default;
        foreach (var m in messages)
        {
            if (m.Role == ChatRole.System)
            {
                count++;
                only = m;
                allStrings &= m.HasStringContent;
            }
        }

        if (count == 0)
        {
            return;
        }

        if (count == 1 && allStrings)
        {
            w.WritePropertyName("system");
            only.Content.WriteTo(w);
            return;
        }

        w.WriteStartArray("system");
        foreach (var m in messages)
        {
            if (m.Role == ChatRole.System)
            {
                foreach (var part in m.Parts.Span)
                {
                    WriteText(w, part);
                }
            }
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// Writes <c>messages</c>: consecutive messages of one Anthropic role share a turn (tool results and the user text
    /// after them, for instance), as Anthropic requires turns to alternate.
    /// </summary>
    private static void WriteMessages(Utf8JsonWriter w, ReadOnlySpan<ChatMessage> messages)
    {
        w.WriteStartArray("messages");
        for (var start = NextTurn(messages, 0); start < messages.Length;)
        {
            var role = AnthropicRole(messages[start].Role);
            var end = NextTurn(messages, start + 1);
            var single = end >= messages.Length || AnthropicRole(messages[end].Role) != role;
            w.WriteStartObject();
            w.WriteString("role", role);
            if (single && IsPlainText(messages[start]))
            {
                w.WritePropertyName("content");
                messages[start].Content.WriteTo(w);
                w.WriteEndObject();
                start = end;
                continue;
            }

            w.WriteStartArray("content");
            for (; start < messages.Length && AnthropicRole(messages[start].Role) == role; start = NextTurn(messages, start + 1))
            {
                var m = messages[start];
                switch (m.Role)
                {
                    case ChatRole.Tool:
                        WriteToolResult(w, m);
                        break;
                    case ChatRole.Assistant:
                        WriteAssistant(w, m);
                        break;
                    default:
                        WriteUserContent(w, m);
                        break;
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>The first message at or after <paramref name="from"/> that is a turn (not a system message).</summary>
    private static int NextTurn(ReadOnlySpan<ChatMessage> messages, int from)
    {
        while (from < messages.Length && messages[from].Role == ChatRole.System)
        {
            from++;
        }

        return from;
    }

    private static string AnthropicRole(ChatRole role) => role == ChatRole.Assistant ? "assistant" : "user";

    /// <summary>A user or assistant message that is nothing but a non-empty string, which Anthropic takes as is.</summary>
    private static bool IsPlainText(in ChatMessage m) =>
        m.Role is ChatRole.User or ChatRole.Assistant && m.HasStringContent && !m.Content.ValueEquals(""u8) && m.ToolCalls.IsEmpty;

    /// <summary>Writes a user message's content as blocks (text, images, documents).</summary>
    private static void WriteUserContent(Utf8JsonWriter w, in ChatMessage m)
    {
        if (m.HasStringContent)
        {
            if (!m.Content.ValueEquals(""u8))
            {
                WriteText(w, m.Parts.Span[0]);
            }

            return;
        }

        foreach (var part in m.Parts.Span)
        {
            WritePart(w, part);
        }
    }

    /// <summary>Writes an assistant message: its text, then its tool calls as <c>tool_use</c> blocks.</summary>
    private static void WriteAssistant(Utf8JsonWriter w, in ChatMessage m)
    {
        foreach (var part in m.Parts.Span)
        {
            // A refusal the assistant gave is part of the conversation's text; empty text is not a block Anthropic takes.
            if (!part.Text.ValueEquals(""u8))
            {
                WriteText(w, part);
            }
        }

        foreach (var call in m.ToolCalls.Span)
        {
            w.WriteStartObject();
            w.WriteString("type", "tool_use");
            w.WritePropertyName("id");
            call.Id.WriteTo(w);
            w.WritePropertyName("name");
            call.Name.WriteTo(w);
            w.WritePropertyName("input");
            WriteArguments(w, call);
            w.WriteEndObject();
        }
    }

    /// <summary>OpenAI carries tool arguments as JSON text; Anthropic as the object itself (none is an empty object).</summary>
    private static void WriteArguments(Utf8JsonWriter w, in ToolCall call)
    {
        if (call.Arguments.ValueKind == JsonValueKind.Object)
        {
            call.Arguments.WriteTo(w);
        }
        else
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }
    }

    /// <summary>Writes a tool message as a <c>tool_result</c> block.</summary>
    private static void WriteToolResult(Utf8JsonWriter w, in ChatMessage m)
    {
        w.WriteStartObject();
        w.WriteString("type", "tool_result");
        w.WritePropertyName("tool_use_id");
        m.ToolCallId.WriteTo(w);
        if (m.HasStringContent)
        {
            w.WritePropertyName("content");
            m.Content.WriteTo(w);
        }
        else if (m.Content.ValueKind == JsonValueKind.Array)
        {
            w.WriteStartArray("content");
            foreach (var part in m.Parts.Span)
            {
                WritePart(w, part);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }
}
