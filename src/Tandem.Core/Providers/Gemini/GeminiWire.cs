using System.Text.Json;
using Tandem.Wire;

namespace Tandem.Providers.Gemini;

/// <summary>What Gemini's answers mean in OpenAI's terms: finish reasons, usage, tool call ids and errors.</summary>
internal static class GeminiWire
{
    private const string SignatureMark = "__ts__";

    /// <summary>OpenAI's <c>finish_reason</c> for a candidate's <c>finishReason</c> (safety blocks: <c>content_filter</c>).</summary>
    public static string FinishReason(string? reason, bool toolCalls) => reason switch
    {
        "MAX_TOKENS" => "length",
        "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" or "IMAGE_PROHIBITED_CONTENT" or "IMAGE_RECITATION" => "content_filter",
        _ => toolCalls ? "tool_calls" : "stop", // STOP, and the rest (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL…)
    };

    /// <summary>
    /// Usage from <c>usageMetadata</c>. Gemini counts thinking apart (<c>thoughtsTokenCount</c>); OpenAI counts it as
    /// completion tokens, and as reasoning tokens. The prompt includes cached content and tool-use prompts.
    /// </summary>
    public static TokenUsage? Usage(JsonElement metadata)
    {
        if (metadata.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        int Count(string name) => metadata.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : 0;
        var thoughts = Count("thoughtsTokenCount");
        return new TokenUsage
        {
            PromptTokens = Count("promptTokenCount") + Count("toolUsePromptTokenCount"),
            CachedTokens = Count("cachedContentTokenCount"),
            CompletionTokens = Count("candidatesTokenCount") + thoughts,
            ReasoningTokens = thoughts,
        };
    }

    /// <summary>
    /// The OpenAI id of a function call. Gemini's calls may have no id, and Gemini 3 attaches a thought signature that
    /// must come back with the call in the next turn; OpenAI clients echo ids verbatim, so the signature travels in it
    /// (base64url, after <c>__ts__</c>).
    /// </summary>
    public static string ToolCallId(string? id, string? responseId, int index, string? signature)
    {
        var baseId = id is { Length: > 0 } ? id : $"call_{responseId}_{index}";
        return signature is { Length: > 0 } ? baseId + SignatureMark + Base64Url(signature) : baseId;
    }

    /// <summary>Splits an id made by <see cref="ToolCallId"/> into Gemini's call id and the thought signature, if any.</summary>
    public static (string Id, string? Signature) SplitToolCallId(string id)
    {
        var mark = id.IndexOf(SignatureMark, StringComparison.Ordinal);
        if (mark < 0)
        {
            return (id, null);
        }

        var encoded = id[(mark + SignatureMark.Length)..].Replace('-', '+').Replace('_', '/');
        return (id[..mark], encoded.PadRight(encoded.Length + ((4 - (encoded.Length % 4)) % 4), '='));
    }

    private static string Base64Url(string base64) => base64.TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// What a Google error body says: <c>{"error":{"code","message","status"}}</c> (or a list of them). 503
    /// <c>UNAVAILABLE</c> is overload; an <c>INVALID_ARGUMENT</c> about the input's token count is a context window
    /// problem.
    /// </summary>
    public static ProviderError ReadError(int status, ReadOnlySpan<byte> body)
    {
        var (state, message) = ErrorOf(body);
        var (reason, retryDelay) = DetailsOf(body);
        if (status == 503 || state == "UNAVAILABLE")
        {
            return new ProviderError(message, ProviderErrorKind.Overloaded, retryDelay);
        }

        if (reason is "API_KEY_INVALID" or "API_KEY_SERVICE_BLOCKED" or "SERVICE_DISABLED" || state is "PERMISSION_DENIED" or "UNAUTHENTICATED")
        {
            // Google answers a bad key with 400 INVALID_ARGUMENT: Tandem's configuration, not the client's request.
            return new ProviderError(message, ProviderErrorKind.Rejected);
        }

        var contextLength = status == 400 && message is not null
            && (message.Contains("exceeds the maximum number of tokens", StringComparison.OrdinalIgnoreCase)
                || message.Contains("input token count", StringComparison.OrdinalIgnoreCase)
                || message.Contains("context window", StringComparison.OrdinalIgnoreCase));
        return new ProviderError(message, contextLength ? ProviderErrorKind.ContextLength : ProviderErrorKind.Unspecified, retryDelay);
    }

    /// <summary>The <c>ErrorInfo.reason</c> and <c>RetryInfo.retryDelay</c> of a Google error's <c>details</c>, when present.</summary>
    internal static (string? Reason, TimeSpan? RetryDelay) DetailsOf(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement.ValueKind == JsonValueKind.Array && doc.RootElement.GetArrayLength() > 0 ? doc.RootElement[0] : doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object
                || !error.TryGetProperty("details", out var details) || details.ValueKind != JsonValueKind.Array)
            {
                return (null, null);
            }

            string? reason = null;
            TimeSpan? delay = null;
            foreach (var detail in details.EnumerateArray())
            {
                reason ??= StringOf(detail, "reason");
                if (StringOf(detail, "retryDelay") is { } text && text.EndsWith('s')
                    && double.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
                {
                    delay = TimeSpan.FromSeconds(seconds);
                }
            }

            return (reason, delay);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>The <c>error.status</c> and <c>error.message</c> of a Google error body or stream event.</summary>
    public static (string? Status, string? Message) ErrorOf(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            return ErrorOf(doc.RootElement);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>As <see cref="ErrorOf(ReadOnlySpan{byte})"/> on a parsed body.</summary>
    public static (string? Status, string? Message) ErrorOf(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0)
        {
            root = root[0];
        }

        return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
            ? (StringOf(error, "status"), StringOf(error, "message"))
            : (null, null);
    }

    /// <summary>A string property, or null.</summary>
    public static string? StringOf(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
