namespace Tandem.Limits;

/// <summary>
/// Fixed UTC windows: a clock minute, a day, a calendar month. Every instance computes the same window from its clock,
/// so a window's counter is shared; a window ends at once for everyone (no sliding log to keep).
/// </summary>
public static class LimitWindows
{
    /// <summary>Start and end (Unix ms) of the window of <paramref name="period"/> that holds <paramref name="now"/>.</summary>
    public static (long Start, long End) Of(LimitPeriod period, DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        switch (period)
        {
            case LimitPeriod.Minute:
            {
                var ms = utc.ToUnixTimeMilliseconds();
                var start = ms - (((ms % 60_000) + 60_000) % 60_000);
                return (start, start + 60_000);
            }

            case LimitPeriod.Day:
            {
                var start = new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
                return (start.ToUnixTimeMilliseconds(), start.AddDays(1).ToUnixTimeMilliseconds());
            }

            default:
            {
                var start = new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
                return (start.ToUnixTimeMilliseconds(), start.AddMonths(1).ToUnixTimeMilliseconds());
            }
        }
    }

    /// <summary>How long a counter is kept after its window ends: settlements of requests admitted in it still land.</summary>
    public const long GraceMs = 24 * 60 * 60 * 1000;

    /// <summary>A duration as OpenAI writes it in <c>x-ratelimit-reset-*</c> (<c>1s</c>, <c>6m0s</c>, <c>2h5m3s</c>), rounded up to whole seconds.</summary>
    public static string ResetText(TimeSpan span)
    {
        var seconds = (long)Math.Ceiling(Math.Max(0, span.TotalSeconds));
        var h = seconds / 3600;
        var m = seconds % 3600 / 60;
        var s = seconds % 60;
        return h > 0 ? $"{h}h{m}m{s}s" : m > 0 ? $"{m}m{s}s" : $"{s}s";
    }
}
