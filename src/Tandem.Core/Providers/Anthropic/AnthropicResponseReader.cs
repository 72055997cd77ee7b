using System.Text;
using System.Text.Json;

namespace Tandem.Providers.Anthropic;

/// <summary>Translates a whole Anthropic message (<c>"type":"message"</c>) into an OpenAI <c>chat.completion</c>.</summary>
internal static class AnthropicResponseReader
{
    /// <summary>
    /// The OpenAI response for <paramref name="body"/>. Text blocks become the content, <c>tool_use</c> blocks tool
    /// calls (their input as the arguments' JSON text) — or, for a forced JSON tool, the content itself. Thinking
    /// blocks are not part of an OpenAI answer and are left out.
    /// </summary>
    /// <exception cref="IOException">The body is not an Anthropic message.</exception>
    public static byte[] ToCompletion(ReadOnlyMemory<byte> body, bool jsonTool, long created)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
            {
                throw new IOException("the Anthropic answer is not a message");
            }

            var text = new StringBuilder();
            string? json = null;
            var calls = new List<(string Id, string Name, string Arguments)>();
            foreach (var block in content.EnumerateArray())
            {
                switch (AnthropicWire.StringOf(block, "type"))
                {
                    case "text":
                        text.Append(AnthropicWire.StringOf(block, "text"));
                        break;
                    case "tool_use":
                        var input = block.TryGetProperty("input", out var i) ? i.GetRawText() : "{}";
                        if (jsonTool)
                        {
                            json ??= input;
                        }
                        else
                        {
                            calls.Add((AnthropicWire.StringOf(block, "id") ?? "", AnthropicWire.StringOf(block, "name") ?? "", input));
                        }

                        break;
                }
            }

            var usage = default(AnthropicUsage);
            if (root.TryGetProperty("usage", out var u))
            {
                AnthropicWire.ReadUsage(u, ref usage);
            }

            var writer = new OpenAiChunkWriter(AnthropicWire.StringOf(root, "id") ?? "", AnthropicWire.StringOf(root, "model") ?? "", created);
            var finish = AnthropicWire.FinishReason(AnthropicWire.StringOf(root, "stop_reason"), jsonTool);
            var answer = json ?? (calls.Count > 0 && text.Length == 0 ? null : text.ToString());
            return writer.Completion(answer, finish, usage.ToOpenAi(), calls.Count == 0 ? null : w =>
            {
                w.WriteStartArray("tool_calls");
                foreach (var (id, name, arguments) in calls)
                {
                    w.WriteStartObject();
                    w.WriteString("id", id);
                    w.WriteString("type", "function");
                    w.WriteStartObject("function");
                    w.WriteString("name", name);
                    w.WriteString("arguments", arguments);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            });
        }
        catch (JsonException e)
        {
            throw new IOException("the Anthropic answer is not valid JSON", e);
        }
    }
}
