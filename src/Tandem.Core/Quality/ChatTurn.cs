using System.Text;
using System.Text.Json;

namespace Tandem.Quality;

/// <summary>One message of a conversation, reduced to its role and text.</summary>
/// <param name="Role"><c>system</c>, <c>user</c>, <c>assistant</c> or <c>tool</c>.</param>
/// <param name="Content">The text (text parts of a multi-part message joined; images left out).</param>
public sealed record ChatTurn(string Role, string Content)
{
    /// <summary>Reads the <c>messages</c> of a chat completion request body. Returns an empty list when there are none.</summary>
    public static IReadOnlyList<ChatTurn> FromRequestBody(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        try
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("messages", out var messages)
                || messages.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            var turns = new List<ChatTurn>();
            foreach (var m in messages.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() ?? "" : "";
                turns.Add(new ChatTurn(role, TextOf(m)));
            }

            return turns;
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>Writes turns as an OpenAI <c>messages</c> array value.</summary>
    public static void WriteMessages(Utf8JsonWriter writer, IEnumerable<ChatTurn> turns)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(turns);
        writer.WriteStartArray();
        foreach (var t in turns)
        {
            writer.WriteStartObject();
            writer.WriteString("role", t.Role);
            writer.WriteString("content", t.Content);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static string TextOf(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return "";
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString() ?? "";
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var sb = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            {
                if (sb.Length > 0)
                {
                    sb.Append('\n');
                }

                sb.Append(t.GetString());
            }
        }

        return sb.ToString();
    }
}
