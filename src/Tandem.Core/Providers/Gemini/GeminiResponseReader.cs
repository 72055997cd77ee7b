using System.Text;
using System.Text.Json;

namespace Tandem.Providers.Gemini;

/// <summary>Translates a whole <c>GenerateContentResponse</c> into an OpenAI <c>chat.completion</c>.</summary>
internal static class GeminiResponseReader
{
    /// <summary>
    /// The OpenAI response for <paramref name="body"/>: the first candidate's text parts (thought summaries left out)
    /// as the content, its function calls as tool calls; a safety block, of the prompt or of the answer, finishes with
    /// <c>content_filter</c>.
    /// </summary>
    /// <exception cref="IOException">The body is not a Gemini response.</exception>
    public static byte[] ToCompletion(ReadOnlyMemory<byte> body, string model, long created)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new IOException("the Gemini answer is not a GenerateContentResponse");
            }

            var text = new StringBuilder();
            var calls = new List<(string Id, string Name, string Arguments)>();
            var responseId = GeminiWire.StringOf(root, "responseId");
            string? reason = null;
            if (root.TryGetProperty("candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array && candidates.GetArrayLength() > 0)
            {
                var candidate = candidates[0];
                reason = GeminiWire.StringOf(candidate, "finishReason");
                if (candidate.TryGetProperty("content", out var content) && content.TryGetProperty("parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
                {
                    foreach (var part in parts.EnumerateArray())
                    {
                        ReadPart(part, text, calls, responseId);
                    }
                }
            }
            else if (root.TryGetProperty("promptFeedback", out var feedback) && GeminiWire.StringOf(feedback, "blockReason") is not null)
            {
                reason = "SAFETY"; // the prompt itself was blocked: no candidate at all
            }

            var writer = new OpenAiChunkWriter(responseId ?? "", GeminiWire.StringOf(root, "modelVersion") ?? model, created);
            var usage = root.TryGetProperty("usageMetadata", out var u) ? GeminiWire.Usage(u) : null;
            var answer = calls.Count > 0 && text.Length == 0 ? null : text.ToString();
            return writer.Completion(answer, GeminiWire.FinishReason(reason, calls.Count > 0), usage, calls.Count == 0 ? null : w =>
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
            throw new IOException("the Gemini answer is not valid JSON", e);
        }
    }

    /// <summary>Adds a part's text (unless it is a thought) or its function call.</summary>
    public static void ReadPart(JsonElement part, StringBuilder text, List<(string Id, string Name, string Arguments)> calls, string? responseId)
    {
        if (part.ValueKind != JsonValueKind.Object || (part.TryGetProperty("thought", out var thought) && thought.ValueKind == JsonValueKind.True))
        {
            return;
        }

        if (GeminiWire.StringOf(part, "text") is { } t)
        {
            text.Append(t);
        }
        else if (part.TryGetProperty("functionCall", out var call) && call.ValueKind == JsonValueKind.Object)
        {
            var arguments = call.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Object ? args.GetRawText() : "{}";
            var id = GeminiWire.ToolCallId(GeminiWire.StringOf(call, "id"), responseId, calls.Count, GeminiWire.StringOf(part, "thoughtSignature"));
            calls.Add((id, GeminiWire.StringOf(call, "name") ?? "", arguments));
        }
    }
}
