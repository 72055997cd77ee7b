using Tandem.Routing;
using Xunit;

namespace Tandem.Core.Tests.Routing;

/// <summary>
/// Time windows at their bounds. The UTC instants are worked out by hand from the EU rules: Berlin is UTC+1 in
/// winter and UTC+2 in summer; in 2026 the clocks go forward on 29 March at 01:00 UTC and back on 25 October at
/// 01:00 UTC.
/// </summary>
public sealed class TimeWindowTests
{
    private static TimeWindow Window(string time, string? tz)
    {
        var window = TimeWindow.TryParse(time, tz, out var error, out _);
        Assert.Null(error);
        return window!;
    }

    private static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    // Winter, 22:00-07:00 Berlin is 21:00-06:00 UTC.
    [InlineData("2026-01-15T20:59:59Z", false)]
    [InlineData("2026-01-15T21:00:00Z", true)]
    [InlineData("2026-01-15T23:59:59Z", true)]
    [InlineData("2026-01-16T00:00:00Z", true)]
    [InlineData("2026-01-16T05:59:59Z", true)]
    [InlineData("2026-01-16T06:00:00Z", false)]
    [InlineData("2026-01-16T12:00:00Z", false)]
    // Summer, 22:00-07:00 Berlin is 20:00-05:00 UTC.
    [InlineData("2026-07-15T19:59:59Z", false)]
    [InlineData("2026-07-15T20:00:00Z", true)]
    [InlineData("2026-07-16T04:59:59Z", true)]
    [InlineData("2026-07-16T05:00:00Z", false)]
    public void Contains_NightWindowInBerlin_CrossesMidnightAndFollowsDaylightSavingTime(string instant, bool inside)
    {
        Assert.Equal(inside, Window("22:00-07:00", "Europe/Berlin").Contains(Utc(instant)));
    }

    [Theory]
    [InlineData("2026-03-10T08:59:59Z", false)]
    [InlineData("2026-03-10T09:00:00Z", true)]
    [InlineData("2026-03-10T16:59:59Z", true)]
    [InlineData("2026-03-10T17:00:00Z", false)]
    [InlineData("2026-03-10T23:30:00Z", false)]
    public void Contains_DayWindowWithoutZone_IsReadInUtc(string instant, bool inside)
    {
        Assert.Equal(inside, Window("09:00-17:00", null).Contains(Utc(instant)));
    }

    [Theory]
    // Spring forward: 00:59:59 UTC is 01:59:59 CET, the next second is 03:00:00 CEST; 02:xx never happens.
    [InlineData("02:00-03:00", "2026-03-29T00:59:59Z", false)]
    [InlineData("02:00-03:00", "2026-03-29T01:00:00Z", false)]
    [InlineData("03:00-04:00", "2026-03-29T00:59:59Z", false)]
    [InlineData("03:00-04:00", "2026-03-29T01:00:00Z", true)]
    // Fall back: 02:00-03:00 local happens twice, 00:00-01:00 UTC (CEST) and 01:00-02:00 UTC (CET).
    [InlineData("02:00-03:00", "2026-10-24T23:59:59Z", false)]
    [InlineData("02:00-03:00", "2026-10-25T00:00:00Z", true)]
    [InlineData("02:00-03:00", "2026-10-25T01:30:00Z", true)]
    [InlineData("02:00-03:00", "2026-10-25T02:00:00Z", false)]
    public void Contains_OnDaylightSavingNights_FollowsTheWallClock(string time, string instant, bool inside)
    {
        Assert.Equal(inside, Window(time, "Europe/Berlin").Contains(Utc(instant)));
    }

    [Theory]
    [InlineData("24:00-07:00")]
    [InlineData("22:00-7:00")]
    [InlineData("22:00 - 07:00")]
    [InlineData("22:00-07:00-08:00")]
    [InlineData("")]
    public void TryParse_NotAWindow_ReportsTheTime(string time)
    {
        Assert.Null(TimeWindow.TryParse(time, "UTC", out var error, out var zoneError));
        Assert.Equal($"'{time}' is not a window HH:MM-HH:MM on the 24-hour clock, e.g. 22:00-07:00", error);
        Assert.False(zoneError);
    }
}
