using System.Globalization;
using System.Net.Http.Headers;

namespace Tandem.Upstream;

/// <summary>
/// The one reader of an upstream's "wait before retrying" hint, used by retries, fallback and every off-path caller.
/// </summary>
/// <remarks>
/// Reads, in order: <c>retry-after-ms</c> (milliseconds; sent by OpenAI and Azure OpenAI), then <c>Retry-After</c>
/// as delta-seconds or as an HTTP date (RFC 9110 §10.2.3). Values in the past become zero; unreadable values are
/// ignored rather than guessed.
/// </remarks>
public static class RetryAfter
{
    /// <summary>The hint in <paramref name="headers"/>, relative to <paramref name="now"/>; null when there is none.</summary>
    public static TimeSpan? Read(HttpResponseHeaders headers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (headers.NonValidated.TryGetValues("retry-after-ms", out var ms)
            && double.TryParse(ms.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var millis)
            && double.IsFinite(millis))
        {
            return millis <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Min(millis, TimeSpan.MaxValue.TotalMilliseconds / 2));
        }

        if (!headers.NonValidated.TryGetValues("retry-after", out var values))
        {
            return null;
        }

        return Parse(values.ToString(), now);
    }

    /// <summary>
    /// The hint in the values of <c>retry-after-ms</c> and <c>Retry-After</c> as read from any header collection (an
    /// in-process client's error response); null when neither gives one.
    /// </summary>
    public static TimeSpan? Read(string? retryAfterMs, string? retryAfter, DateTimeOffset now)
    {
        if (retryAfterMs is not null
            && double.TryParse(retryAfterMs, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis)
            && double.IsFinite(millis))
        {
            return millis <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Min(millis, TimeSpan.MaxValue.TotalMilliseconds / 2));
        }

        return Parse(retryAfter, now);
    }

    /// <summary>Parses one <c>Retry-After</c> value: delta-seconds or an HTTP date.</summary>
    public static TimeSpan? Parse(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.MaxValue.TotalSeconds / 2));
        }

        if (double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var fractional) && double.IsFinite(fractional))
        {
            // Not RFC-conformant but sent by some servers ("1.5"): honour it rather than ignore it. Digits beyond a
            // long land here too ("99999999999999999999"): clamped like the whole seconds above, never an overflow.
            var longest = (long)TimeSpan.MaxValue.TotalSeconds / 2;
            return fractional < longest ? TimeSpan.FromSeconds(fractional) : TimeSpan.FromSeconds(longest);
        }

        if (DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            || DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date))
        {
            var wait = date - now;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }
}
