using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Tandem.Extensions.AI.Internal;

/// <summary>
/// Reads an OpenAI chat request that Tandem itself wrote (a judge's prompt: text messages, temperature, max_tokens, JSON
/// mode) back into <see cref="ChatMessage"/>s and <see cref="ChatOptions"/>, so that an <see cref="IChatClient"/>
/// deployment can judge. Text content only: Tandem's own prompts hold nothing else. (A client's request is never read
/// back: its IChatClient deployments get the caller's own messages; translating adapters read bodies with Core's
/// <c>Providers/Translation/ChatRequestReader</c>.)
/// </summary>
internal static class OwnPromptReader
{
    public static (IReadOnlyList<ChatMessage> Messages, ChatOptions Options) Read(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        var root = doc.RootElement;
        var messages = new List<ChatMessage>();
        if (root.TryGetProperty("messages", out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var m in array.EnumerateArray())
            {
                var role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? new ChatRole(r.GetString()!) : ChatRole.User;
                messages.Add(new ChatMessage(role, Text(m)));
            }
        }

        var options = new ChatOptions();
        if (root.TryGetProperty("temperature", out var t) && t.TryGetDouble(out var temperature))
        {
            options.Temperature = (float)temperature;
        }

        if ((root.TryGetProperty("max_tokens", out var max) || root.TryGetProperty("max_completion_tokens", out max)) && max.TryGetInt32(out var maxTokens))
        {
            options.MaxOutputTokens = maxTokens;
        }

        if (root.TryGetProperty("response_format", out var format) && format.TryGetProperty("type", out var type) && type.ValueEquals("json_object"u8))
        {
            options.ResponseFormat = ChatResponseFormat.Json;
        }

        return (messages, options);
    }

    private static string Text(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return "";
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        var text = new StringBuilder();
        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
            {
                if (part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    text.Append(t.GetString());
                }
            }
        }

        return text.ToString();
    }
}
