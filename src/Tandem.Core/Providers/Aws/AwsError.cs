using System.Text.Json;

namespace Tandem.Providers.Aws;

/// <summary>
/// What an AWS JSON error body says. AWS services answer <c>{"message": …}</c> (or <c>Message</c>), some with the
/// error type in the body (<c>__type</c>, <c>code</c>) as well as in the <c>x-amzn-ErrorType</c> header; SageMaker's
/// <c>ModelError</c> adds the container's own status and message (<c>OriginalStatusCode</c>, <c>OriginalMessage</c>).
/// </summary>
internal readonly record struct AwsError(string? Type, string? Message, int? OriginalStatus, string? OriginalMessage)
{
    /// <summary>Reads an error body; fields it lacks (or a body that is not JSON) are null.</summary>
    public static AwsError Read(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return default;
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return default;
            }

            var type = String(root, "__type") ?? String(root, "code") ?? String(root, "Code");
            if (type is not null)
            {
                // "com.amazonaws.sagemaker#ValidationError" or "ValidationException:http://internal…": the bare name.
                var hash = type.LastIndexOf('#');
                type = hash >= 0 ? type[(hash + 1)..] : type;
                var colon = type.IndexOf(':', StringComparison.Ordinal);
                type = colon >= 0 ? type[..colon] : type;
            }

            int? original = root.TryGetProperty("OriginalStatusCode", out var o) && o.ValueKind == JsonValueKind.Number && o.TryGetInt32(out var s) ? s : null;
            return new AwsError(type, String(root, "message") ?? String(root, "Message"), original, String(root, "OriginalMessage"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return default;
        }
    }

    /// <summary>Whether a message says the prompt does not fit the model's context window (the wordings of vLLM, TGI, LMI and Bedrock).</summary>
    public static bool SaysContextLength(string? message) =>
        message is not null
        && (message.Contains("context length", StringComparison.OrdinalIgnoreCase)
            || message.Contains("context window", StringComparison.OrdinalIgnoreCase)
            || message.Contains("too many tokens", StringComparison.OrdinalIgnoreCase)
            || message.Contains("too many input tokens", StringComparison.OrdinalIgnoreCase)
            || message.Contains("input is too long", StringComparison.OrdinalIgnoreCase)
            || message.Contains("prompt is too long", StringComparison.OrdinalIgnoreCase)
            || (message.Contains("max_new_tokens", StringComparison.Ordinal) && message.Contains("must be <=", StringComparison.Ordinal)));

    /// <summary>Whether the error is AWS throttling (HTTP 400 <c>ThrottlingException</c> on some services).</summary>
    public bool IsThrottling =>
        Type is "ThrottlingException" or "Throttling" or "TooManyRequestsException"
        || (Message is not null && Message.Contains("Rate exceeded", StringComparison.OrdinalIgnoreCase));

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
