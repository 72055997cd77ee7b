using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Tandem.Extensions.AI.Internal;

/// <summary>
/// Reads an answer in OpenAI's format — what every deployment reached over HTTP returns through its provider adapter,
/// whatever the provider speaks — into Microsoft.Extensions.AI types: a whole chat completion into a
/// <see cref="ChatResponse"/>, a stream's chunks into <see cref="ChatResponseUpdate"/>s (tool call fragments are
/// assembled and handed over whole when the choice finishes, as M.E.AI's own OpenAI client does).
/// </summary>
internal sealed class ChatResponseReader
{
    private readonly Dictionary<int, PartialCall> _calls = [];

    /// <summary>Reads a whole chat completion; null when the bytes are not one.</summary>
    public static ChatResponse? ReadResponse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var message = new ChatMessage(ChatRole.Assistant, []);
            ChatFinishReason? finish = null;
            if (choices.GetArrayLength() > 0)
            {
                var choice = choices[0];
                finish = FinishReason(choice);
                if (choice.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object)
                {
                    if (m.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String)
                    {
                        message.Role = new ChatRole(role.GetString()!);
                    }

                    if (m.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                    {
                        message.Contents.Add(new TextContent(content.GetString()));
                    }

                    if (m.TryGetProperty("refusal", out var refusal) && refusal.ValueKind == JsonValueKind.String)
                    {
                        message.Contents.Add(new TextContent(refusal.GetString()));
                    }

                    if (m.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var call in calls.EnumerateArray())
                        {
                            if (call.TryGetProperty("function", out var function))
                            {
                                message.Contents.Add(Call(String(call, "id") ?? "", String(function, "name") ?? "", String(function, "arguments")));
                            }
                        }
                    }
                }
            }

            var response = new ChatResponse(message)
            {
                ResponseId = String(root, "id"),
                ModelId = String(root, "model"),
                CreatedAt = Created(root),
                FinishReason = finish,
                Usage = root.TryGetProperty("usage", out var usage) ? Usage(usage) : null,
            };
            message.MessageId = response.ResponseId;
            return response;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads one stream chunk (the JSON of a <c>data:</c> line); null when it is not one.</summary>
    public ChatResponseUpdate? ReadChunk(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var update = new ChatResponseUpdate
            {
                ResponseId = String(root, "id"),
                MessageId = String(root, "id"),
                ModelId = String(root, "model"),
                CreatedAt = Created(root),
            };
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
            {
                var choice = choices[0];
                if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
                {
                    if (delta.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String)
                    {
                        update.Role = new ChatRole(role.GetString()!);
                    }

                    if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 } text)
                    {
                        update.Contents.Add(new TextContent(text));
                    }

                    if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                    {
                        Collect(calls);
                    }
                }

                if (FinishReason(choice) is { } finish)
                {
                    update.FinishReason = finish;
                    Flush(update);
                }
            }

            if (root.TryGetProperty("usage", out var usage) && Usage(usage) is { } details)
            {
                update.Contents.Add(new UsageContent(details));
            }

            return update;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Tool calls still being assembled when the stream ended without a finish reason: handed over as they are.</summary>
    public ChatResponseUpdate? Rest()
    {
        if (_calls.Count == 0)
        {
            return null;
        }

        var update = new ChatResponseUpdate { Role = ChatRole.Assistant };
        Flush(update);
        return update;
    }

    private void Collect(JsonElement calls)
    {
        foreach (var call in calls.EnumerateArray())
        {
            var index = call.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : 0;
            if (!_calls.TryGetValue(index, out var partial))
            {
                partial = new PartialCall();
                _calls[index] = partial;
            }

            partial.Id ??= String(call, "id");
            if (call.TryGetProperty("function", out var function))
            {
                partial.Name ??= String(function, "name");
                partial.Arguments.Append(String(function, "arguments"));
            }
        }
    }

    private void Flush(ChatResponseUpdate update)
    {
        foreach (var (_, partial) in _calls.OrderBy(c => c.Key))
        {
            update.Contents.Add(Call(partial.Id ?? "", partial.Name ?? "", partial.Arguments.ToString()));
        }

        _calls.Clear();
    }

    private static FunctionCallContent Call(string id, string name, string? arguments) =>
        FunctionCallContent.CreateFromParsedArguments(string.IsNullOrWhiteSpace(arguments) ? "{}" : arguments, id, name,
            static json => JsonSerializer.Deserialize(json, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>))) as IDictionary<string, object?>);

    private static ChatFinishReason? FinishReason(JsonElement choice) =>
        choice.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String
            ? f.GetString() switch
            {
                "stop" => ChatFinishReason.Stop,
                "length" => ChatFinishReason.Length,
                "tool_calls" or "function_call" => ChatFinishReason.ToolCalls,
                "content_filter" => ChatFinishReason.ContentFilter,
                var other => new ChatFinishReason(other!),
            }
            : null;

    private static UsageDetails? Usage(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var details = new UsageDetails
        {
            InputTokenCount = Long(usage, "prompt_tokens"),
            OutputTokenCount = Long(usage, "completion_tokens"),
            TotalTokenCount = Long(usage, "total_tokens"),
        };
        if (usage.TryGetProperty("prompt_tokens_details", out var prompt) && prompt.ValueKind == JsonValueKind.Object)
        {
            details.CachedInputTokenCount = Long(prompt, "cached_tokens");
        }

        if (usage.TryGetProperty("completion_tokens_details", out var completion) && completion.ValueKind == JsonValueKind.Object)
        {
            details.ReasoningTokenCount = Long(completion, "reasoning_tokens");
        }

        return details;
    }

    private static DateTimeOffset? Created(JsonElement root) =>
        root.TryGetProperty("created", out var c) && c.TryGetInt64(out var seconds) && seconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

    private static long? Long(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : null;

    private static string? String(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private sealed class PartialCall
    {
        public string? Id { get; set; }

        public string? Name { get; set; }

        public System.Text.StringBuilder Arguments { get; } = new();
    }
}
