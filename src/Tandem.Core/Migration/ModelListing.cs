using System.Globalization;
using System.Text.Json;

namespace Tandem.Migration;

/// <summary>One model of a provider's <c>GET /v1/models</c> listing, with its shutdown date when the listing gives one.</summary>
/// <param name="Id">The model id.</param>
/// <param name="ShutdownDate">The UTC day the provider shuts the model down; null when the listing says nothing.</param>
public sealed record ListedModel(string Id, DateOnly? ShutdownDate);

/// <summary>
/// Reads shutdown dates from an OpenAI-style model listing (<c>{"object":"list","data":[{"id":…},…]}</c>), so that a
/// provider can tell Tandem about a retirement the shipped table does not know yet. Most entries carry none.
/// </summary>
/// <remarks>
/// A date is read from <c>shutdown_date</c>, as unix seconds (a number or a string of digits) or as an ISO 8601
/// date or date-time; or, for Azure OpenAI's listing, from <c>deprecation.inference</c> (unix seconds). A value that
/// is none of these leaves the date unknown rather than failing the listing.
/// </remarks>
public static class ModelListing
{
    /// <summary>Reads a listing body; false when it is not a JSON object with a <c>data</c> array.</summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out IReadOnlyList<ListedModel> models)
    {
        models = [];
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!JsonDocument.TryParseValue(ref reader, out var parsed))
            {
                return false;
            }

            doc = parsed;
        }
        catch (JsonException)
        {
            return false;
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            var list = new List<ListedModel>();
            foreach (var entry in data.EnumerateArray())
            {
                if (entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                    && TryText(id, out var name) && name.Length > 0)
                {
                    list.Add(new ListedModel(name, ShutdownOf(entry)));
                }
            }

            models = list;
            return true;
        }
    }

    private static DateOnly? ShutdownOf(JsonElement entry)
    {
        if (entry.TryGetProperty("shutdown_date", out var shutdown) && DateOf(shutdown) is { } date)
        {
            return date;
        }

        return entry.TryGetProperty("deprecation", out var deprecation) && deprecation.ValueKind == JsonValueKind.Object
            && deprecation.TryGetProperty("inference", out var inference) && inference.ValueKind == JsonValueKind.Number
            ? DateOf(inference)
            : null;
    }

    private static DateOnly? DateOf(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            return value.TryGetInt64(out var seconds) ? FromUnixSeconds(seconds) : null;
        }

        if (value.ValueKind != JsonValueKind.String || !TryText(value, out var text))
        {
            return null;
        }

        text = text.Trim();
        if (text.Length > 0 && text.All(char.IsAsciiDigit))
        {
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? FromUnixSeconds(seconds) : null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var moment)
            ? DateOnly.FromDateTime(moment.UtcDateTime)
            : null;
    }

    private static DateOnly? FromUnixSeconds(long seconds) =>
        seconds is >= 0 and <= 253_402_300_799 // 9999-12-31T23:59:59Z, the last second DateTimeOffset holds
            ? DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime)
            : null;

    private static bool TryText(JsonElement value, out string text)
    {
        try
        {
            text = value.GetString() ?? "";
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }
}
