using Xunit;

namespace Tandem.Storage.Tests;

/// <summary>Which parts of a usage window come from roll-ups and which from raw records (ranges worked out by hand).</summary>
public sealed class UsagePlanTests
{
    private const long Day = 86_400_000;

    [Fact]
    public void NeverMaintained_AllRaw()
    {
        var plan = UsagePlan.For((10 * Day) + 5, (20 * Day) + 7, null, null);
        Assert.Equal([((10 * Day) + 5, (20 * Day) + 7)], plan.Raw);
        Assert.Empty(plan.Rolled);
    }

    [Fact]
    public void RolledWholeDays_FromRollups_PartialFirstDayAndTodayRaw()
    {
        // Raw kept from day 5; rolled through day 19; window day 10 + 5 ms to day 20 + 7 ms (today is day 20).
        var plan = UsagePlan.For((10 * Day) + 5, (20 * Day) + 7, 5, 19);
        Assert.Equal([(11L, 19L, true)], plan.Rolled);
        Assert.Equal([((10 * Day) + 5, 11 * Day), (20 * Day, (20 * Day) + 7)], plan.Raw);
    }

    [Fact]
    public void WindowStartingAtMidnight_NoRawBeforeTheRolledDays()
    {
        var plan = UsagePlan.For(10 * Day, (20 * Day) + 7, 5, 19);
        Assert.Equal([(10L, 19L, true)], plan.Rolled);
        Assert.Equal([(20 * Day, (20 * Day) + 7)], plan.Raw);
    }

    [Fact]
    public void DaysNotRolledUpYet_Raw()
    {
        // Rolled through day 15 only (maintenance has not run since): days 16 to 20 are read raw.
        var plan = UsagePlan.For(10 * Day, (20 * Day) + 7, 5, 15);
        Assert.Equal([(10L, 15L, true)], plan.Rolled);
        Assert.Equal([(16 * Day, (20 * Day) + 7)], plan.Raw);
    }

    [Fact]
    public void DaysPastRetention_WholeRollups_AsBefore()
    {
        // Raw kept from day 12: days 8 (partial start included, as only its roll-up remains) to 11 are roll-ups
        // without raw records, 12 to 19 roll-ups with them, day 20 raw.
        var plan = UsagePlan.For((8 * Day) + 3, (20 * Day) + 7, 12, 19);
        Assert.Equal([(8L, 11L, false), (12L, 19L, true)], plan.Rolled);
        Assert.Equal([(20 * Day, (20 * Day) + 7)], plan.Raw);
    }

    [Fact]
    public void WindowInsideToday_Raw()
    {
        var plan = UsagePlan.For((20 * Day) + 1, (20 * Day) + 7, 5, 19);
        Assert.Empty(plan.Rolled);
        Assert.Equal([((20 * Day) + 1, (20 * Day) + 7)], plan.Raw);
    }
}
