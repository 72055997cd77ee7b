using System.Text;
using System.Text.Json;
using Tandem.Wire;

namespace Tandem.Providers.Bedrock;

/// <summary>Reads Converse answers: stop reasons, usage, and whole responses as OpenAI <c>chat.completion</c>s.</summary>
internal static class ConverseResponse
{
    /// <summary>The OpenAI finish reason of a Converse <c>stopReason</c>.</summary>
    public static string FinishReason(string? stopReason) => stopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "guardrail_intervened" or "content_filtered" => "content_filter",
        _ => "stop",
    };

    /// <summary>
    /// Usage in OpenAI's terms: Converse counts cache reads and writes apart from <c>inputTokens</c>, OpenAI's
    /// <c>prompt_tokens</c> includes them (cache reads as <c>cached_tokens</c>).
    /// </summary>
    public static TokenUsage? Usage(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object || !Int(usage, "inputTokens", out var input) || !Int(usage, "outputTokens", out var output))
        {
            return null;
        }

        Int(usage, "cacheReadInputTokens", out var cacheRead);
        Int(usage, "cacheWriteInputTokens", out var cacheWrite);
        return new TokenUsage { PromptTokens = input + cacheRead + cacheWrite, CompletionTokens = output, CachedTokens = cacheRead };
    }

    /// <summary>Whether a <c>toolUse</c> block is one Bedrock ran itself (a server tool): not a call for the client.</summary>
    public static bool IsServerTool(JsonElement toolUse) =>
        toolUse.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "server_tool_use";

    /// <summary>A whole Converse answer as an OpenAI <c>chat.completion</c>.</summary>
    /// <exception cref="IOException">The answer is not a Converse answer (the seam treats it as a broken answer).</exception>
    public static byte[] Translate(ReadOnlyMemory<byte> body, OpenAiChunkWriter writer)
    {
        try
        {
            return TranslateCore(body, writer);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new IOException("the Converse answer could not be read: " + e.Message, e);
        }
    }

    private static byte[] TranslateCore(ReadOnlyMemory<byte> body, OpenAiChunkWriter writer)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (!root.TryGetProperty("output", out var outputEl) || !outputEl.TryGetProperty("message", out var message)
            || !message.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            throw new IOException("the Converse answer has no output message");
        }

        var text = new StringBuilder();
        var calls = new List<JsonElement>();
        foreach (var block in content.EnumerateArray())
        {
            if (block.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            {
                text.Append(t.GetString());
            }
            else if (block.TryGetProperty("toolUse", out var toolUse) && toolUse.ValueKind == JsonValueKind.Object && !IsServerTool(toolUse))
            {
                calls.Add(toolUse);
            }
        }

        var stop = root.TryGetProperty("stopReason", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        var usage = root.TryGetProperty("usage", out var u) ? Usage(u) : null;
        Action<Utf8JsonWriter>? toolCalls = calls.Count == 0 ? null : w =>
        {
            w.WriteStartArray("tool_calls");
            foreach (var call in calls)
            {
                w.WriteStartObject();
                w.WriteString("id", call.TryGetProperty("toolUseId", out var id) ? id.GetString() : "");
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", call.TryGetProperty("name", out var name) ? name.GetString() : "");
                w.WriteString("arguments", call.TryGetProperty("input", out var input) ? input.GetRawText() : "{}");
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        };
        return writer.Completion(text.Length == 0 && calls.Count > 0 ? null : text.ToString(), FinishReason(stop), usage, toolCalls);
    }

    private static bool Int(JsonElement e, string name, out int value)
    {
        value = 0;
        return e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out value);
    }
}
