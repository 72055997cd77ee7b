using System.Text.Json;
using Tandem.Wire;

namespace Tandem.Providers.Anthropic;

/// <summary>What Anthropic's answers mean in OpenAI's terms: stop reasons, usage and errors.</summary>
internal static class AnthropicWire
{
    /// <summary>
    /// OpenAI's <c>finish_reason</c> for Anthropic's <c>stop_reason</c>. A forced JSON tool's <c>tool_use</c> is the
    /// answer itself, so it finishes with <c>stop</c>.
    /// </summary>
    public static string FinishReason(string? stopReason, bool jsonTool) => stopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => "length",
        "tool_use" => jsonTool ? "stop" : "tool_calls",
        "refusal" => "content_filter",
        _ => "stop", // end_turn, stop_sequence, pause_turn
    };

    /// <summary>
    /// Reads an Anthropic <c>usage</c> object into <paramref name="usage"/> (fields absent keep their value, as
    /// <c>message_delta</c> repeats only some). Anthropic's <c>input_tokens</c> counts neither cache reads nor cache
    /// writes; OpenAI's <c>prompt_tokens</c> counts every prompt token, with the ones read from the cache as
    /// <c>cached_tokens</c>. Cache writes are prompt tokens at the full price (Anthropic charges them 25 % more).
    /// </summary>
    public static void ReadUsage(JsonElement element, ref AnthropicUsage usage)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var p in element.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out var n))
            {
                continue;
            }

            switch (p.Name)
            {
                case "input_tokens":
                    usage.Input = n;
                    break;
                case "output_tokens":
                    usage.Output = n;
                    break;
                case "cache_creation_input_tokens":
                    usage.CacheWrite = n;
                    break;
                case "cache_read_input_tokens":
                    usage.CacheRead = n;
                    break;
            }
        }
    }

    /// <summary>
    /// What an Anthropic error body says: <c>{"type":"error","error":{"type","message"}}</c>. 529
    /// <c>overloaded_error</c> is overload; an <c>invalid_request_error</c> about the prompt's length is a context
    /// window problem (only a deployment with a larger window may serve it).
    /// </summary>
    public static ProviderError ReadError(int status, ReadOnlySpan<byte> body)
    {
        var (type, message) = ErrorOf(body);
        if (status == 529 || type == "overloaded_error")
        {
            return new ProviderError(message, ProviderErrorKind.Overloaded);
        }

        var contextLength = status is 400 or 413
            && message is not null
            && (message.Contains("prompt is too long", StringComparison.OrdinalIgnoreCase)
                || message.Contains("exceed context limit", StringComparison.OrdinalIgnoreCase)
                || message.Contains("context window", StringComparison.OrdinalIgnoreCase));
        return new ProviderError(message, contextLength ? ProviderErrorKind.ContextLength : ProviderErrorKind.Unspecified);
    }

    /// <summary>The <c>error.type</c> and <c>error.message</c> of an Anthropic error body or <c>error</c> event.</summary>
    public static (string? Type, string? Message) ErrorOf(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                return (StringOf(error, "type"), StringOf(error, "message"));
            }
        }
        catch (JsonException)
        {
        }

        return (null, null);
    }

    /// <summary>A string property, or null.</summary>
    public static string? StringOf(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>Anthropic's token counts of one answer.</summary>
internal struct AnthropicUsage
{
    public int Input;
    public int Output;
    public int CacheWrite;
    public int CacheRead;

    /// <summary>The counts in OpenAI's terms (see <see cref="AnthropicWire.ReadUsage"/>).</summary>
    public readonly TokenUsage ToOpenAi() => new()
    {
        PromptTokens = Input + CacheWrite + CacheRead,
        CachedTokens = CacheRead,
        CompletionTokens = Output,
    };
}
