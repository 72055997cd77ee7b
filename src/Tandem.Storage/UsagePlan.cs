namespace Tandem.Storage;

/// <summary>
/// Where a usage query over [from, to) reads each part of its window: complete days already rolled up come from the
/// daily roll-ups, the rest (a partial first day, today and any day not rolled up yet) from raw records on the time
/// index. Days before the raw records' retention cut-off exist only as roll-ups and are read whole, as before.
/// </summary>
/// <param name="Raw">Time ranges in Unix milliseconds, [start, end), read from raw records.</param>
/// <param name="Rolled">Day ranges (days since the Unix epoch, both ends included) read from roll-ups; RawKept when the
/// days' raw records still exist (so the window's first record time can be read from them).</param>
internal sealed record UsagePlan(IReadOnlyList<(long Start, long End)> Raw, IReadOnlyList<(long FirstDay, long LastDay, bool RawKept)> Rolled)
{
    /// <summary>Plans a query.</summary>
    /// <param name="fromMs">Window start, Unix milliseconds (included).</param>
    /// <param name="toMs">Window end, Unix milliseconds (excluded).</param>
    /// <param name="rawSinceDay">First day whose raw records are kept (meta <c>raw_since_day</c>), null when maintenance never ran.</param>
    /// <param name="rolledThroughDay">Last day rolled up (meta <c>last_rollup_day</c>), null when maintenance never ran.</param>
    public static UsagePlan For(long fromMs, long toMs, long? rawSinceDay, long? rolledThroughDay)
    {
        const long day = RecordColumns.DayMs;
        var raw = new List<(long, long)>();
        var rolled = new List<(long, long, bool)>();
        var rawFrom = rawSinceDay is { } since ? Math.Max(fromMs, since * day) : fromMs;
        if (rawSinceDay is { } cut && Floor(fromMs, day) < cut)
        {
            var last = Math.Min(cut - 1, Floor(toMs - 1, day));
            if (Floor(fromMs, day) <= last)
            {
                rolled.Add((Floor(fromMs, day), last, false));
            }
        }

        var first = -Floor(-rawFrom, day); // the first whole day at or after rawFrom
        var lastWhole = Floor(toMs, day) - 1;
        var end = rolledThroughDay is { } through ? Math.Min(through, lastWhole) : long.MinValue;
        if (rolledThroughDay is not null && first <= end)
        {
            rolled.Add((first, end, true));
            AddRange(raw, rawFrom, first * day);
            AddRange(raw, (end + 1) * day, toMs);
        }
        else
        {
            AddRange(raw, rawFrom, toMs);
        }

        return new UsagePlan(raw, rolled);
    }

    private static long Floor(long value, long divisor) => value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor);

    private static void AddRange(List<(long, long)> ranges, long start, long end)
    {
        if (start < end)
        {
            ranges.Add((start, end));
        }
    }
}
