using System.Text.Json;
using Tandem.Feedback;

namespace Tandem.Server.Feedback;

/// <summary>A client's <c>POST /v1/feedback</c> body, read and checked field by field (every refusal names its field).</summary>
internal sealed record FeedbackRequest
{
    /// <summary>A correction longer than this is refused with 413: it is an answer or a label, not a document.</summary>
    public const int MaxCorrectionChars = 32 * 1024;

    /// <summary>Longest comment.</summary>
    public const int MaxCommentChars = 4 * 1024;

    /// <summary>Longest answer sent with the feedback.</summary>
    public const int MaxAnswerChars = 256 * 1024;

    /// <summary>Most tags.</summary>
    public const int MaxTags = 16;

    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "developer", "user", "assistant", "tool" };

    public required string RequestId { get; init; }

    public RatingScale Scale { get; init; }

    public int? Rating { get; init; }

    public string? Correction { get; init; }

    public string? Comment { get; init; }

    public string? User { get; init; }

    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    public string? MessagesJson { get; init; }

    public string? Answer { get; init; }

    /// <summary>A refusal: the status (400 or 413), the field, OpenAI's code and a message.</summary>
    internal readonly record struct Problem(int Status, string Param, string Code, string Message);

    public static FeedbackRequest? Parse(ReadOnlySpan<byte> body, out Problem problem)
    {
        problem = default;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            problem = new(400, "body", "invalid_json", "The body is not valid JSON: " + e.Message);
            return null;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = new(400, "body", "invalid_type", "The body must be a JSON object.");
                return null;
            }

            if (!root.TryGetProperty("request_id", out var id) || id.ValueKind != JsonValueKind.String || id.GetString() is not { Length: > 0 and <= 256 } requestId)
            {
                problem = new(400, "request_id", "missing_required_parameter",
                    "'request_id' must be the x-request-id of the answer rated (a non-empty string of at most 256 characters).");
                return null;
            }

            var scale = RatingScale.None;
            int? rating = null;
            if (root.TryGetProperty("rating", out var r) && r.ValueKind != JsonValueKind.Null)
            {
                switch (r.ValueKind)
                {
                    case JsonValueKind.String when r.GetString() is "up" or "thumbs_up":
                        (scale, rating) = (RatingScale.Thumbs, 1);
                        break;
                    case JsonValueKind.String when r.GetString() is "down" or "thumbs_down":
                        (scale, rating) = (RatingScale.Thumbs, 0);
                        break;
                    case JsonValueKind.Number when r.TryGetInt32(out var stars) && stars is >= 1 and <= 5:
                        (scale, rating) = (RatingScale.Stars, stars);
                        break;
                    default:
                        problem = new(400, "rating", "invalid_value", $"'rating' must be \"up\", \"down\" or a whole number from 1 to 5, not {r.GetRawText()}.");
                        return null;
                }
            }

            if (!OptionalString(root, "correction", MaxCorrectionChars, 413, "correction_too_large", out var correction, ref problem)
                || !OptionalString(root, "comment", MaxCommentChars, 400, "string_above_max_length", out var comment, ref problem)
                || !OptionalString(root, "user", 256, 400, "string_above_max_length", out var user, ref problem)
                || !OptionalString(root, "answer", MaxAnswerChars, 413, "answer_too_large", out var answer, ref problem)
                || !TryTags(root, out var tags, ref problem)
                || !TryMessages(root, out var messages, ref problem))
            {
                return null;
            }

            if (rating is null && correction is null && comment is null)
            {
                problem = new(400, "rating", "missing_required_parameter", "Feedback needs a 'rating', a 'correction' or a 'comment'.");
                return null;
            }

            return new FeedbackRequest
            {
                RequestId = requestId,
                Scale = scale,
                Rating = rating,
                Correction = correction,
                Comment = comment,
                User = user,
                Tags = tags,
                MessagesJson = messages,
                Answer = answer,
            };
        }
    }

    private static bool OptionalString(JsonElement root, string name, int maxChars, int tooLongStatus, string tooLongCode, out string? value, ref Problem problem)
    {
        value = null;
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            problem = new(400, name, "invalid_type", $"'{name}' must be a string.");
            return false;
        }

        value = v.GetString()!;
        if (value.Length > maxChars)
        {
            problem = new(tooLongStatus, name, tooLongCode, $"'{name}' is {value.Length} characters long; the most accepted is {maxChars}.");
            return false;
        }

        if (value.Length == 0)
        {
            value = null;
        }

        return true;
    }

    private static bool TryTags(JsonElement root, out IReadOnlyDictionary<string, string>? tags, ref Problem problem)
    {
        tags = null;
        if (!root.TryGetProperty("tags", out var t) || t.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (t.ValueKind != JsonValueKind.Object)
        {
            problem = new(400, "tags", "invalid_type", "'tags' must be an object of strings.");
            return false;
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in t.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String || p.Name.Length is 0 or > 64 || p.Value.GetString()!.Length > 512)
            {
                problem = new(400, "tags." + p.Name, "invalid_value", "Each tag must be a string of at most 512 characters under a name of 1 to 64 characters.");
                return false;
            }

            map[p.Name] = p.Value.GetString()!;
        }

        if (map.Count > MaxTags)
        {
            problem = new(400, "tags", "invalid_value", $"At most {MaxTags} tags.");
            return false;
        }

        tags = map;
        return true;
    }

    private static bool TryMessages(JsonElement root, out string? json, ref Problem problem)
    {
        json = null;
        if (!root.TryGetProperty("messages", out var ms) || ms.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (ms.ValueKind != JsonValueKind.Array || ms.GetArrayLength() == 0)
        {
            problem = new(400, "messages", "invalid_type", "'messages' must be a non-empty array of chat messages, as sent to /v1/chat/completions.");
            return false;
        }

        var i = 0;
        foreach (var m in ms.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String || !Roles.Contains(role.GetString()!))
            {
                problem = new(400, $"messages[{i}].role", "invalid_value", $"messages[{i}] needs a role: system, developer, user, assistant or tool.");
                return false;
            }

            if (m.TryGetProperty("content", out var content) && content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array or JsonValueKind.Null))
            {
                problem = new(400, $"messages[{i}].content", "invalid_type", $"messages[{i}].content must be a string or an array of content parts.");
                return false;
            }

            i++;
        }

        json = ms.GetRawText();
        if (json.Length > MaxAnswerChars)
        {
            problem = new(413, "messages", "messages_too_large", $"'messages' is {json.Length} characters long; the most accepted is {MaxAnswerChars}.");
            return false;
        }

        return true;
    }
}
