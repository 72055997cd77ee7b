using Tandem.Limits;
using Xunit;

namespace Tandem.Core.Tests.Limits;

public sealed class LimitWindowsTests
{
    private static readonly DateTimeOffset Now = new(2026, 2, 28, 23, 59, 30, 250, TimeSpan.Zero);

    [Fact]
    public void Of_Minute_Day_Month_FixedUtcWindows()
    {
        Assert.Equal((Ms(2026, 2, 28, 23, 59, 0), Ms(2026, 3, 1, 0, 0, 0)), LimitWindows.Of(LimitPeriod.Minute, Now));
        Assert.Equal((Ms(2026, 2, 28, 0, 0, 0), Ms(2026, 3, 1, 0, 0, 0)), LimitWindows.Of(LimitPeriod.Day, Now));
        Assert.Equal((Ms(2026, 2, 1, 0, 0, 0), Ms(2026, 3, 1, 0, 0, 0)), LimitWindows.Of(LimitPeriod.Month, Now));
    }

    [Fact]
    public void Of_OtherOffset_SameWindowAsUtc()
    {
        // 01:59:30.250 in UTC+2 is the same instant: same windows.
        var berlin = Now.ToOffset(TimeSpan.FromHours(2));
        Assert.Equal(LimitWindows.Of(LimitPeriod.Day, Now), LimitWindows.Of(LimitPeriod.Day, berlin));
        Assert.Equal(LimitWindows.Of(LimitPeriod.Month, Now), LimitWindows.Of(LimitPeriod.Month, berlin));
    }

    [Theory]
    [InlineData(0.0, "0s")]
    [InlineData(0.2, "1s")]
    [InlineData(29.75, "30s")]
    [InlineData(360, "6m0s")]
    [InlineData(7503, "2h5m3s")]
    public void ResetText_OpenAiDurationFormat(double seconds, string expected) =>
        Assert.Equal(expected, LimitWindows.ResetText(TimeSpan.FromSeconds(seconds)));

    private static long Ms(int y, int mo, int d, int h, int mi, int s) => new DateTimeOffset(y, mo, d, h, mi, s, TimeSpan.Zero).ToUnixTimeMilliseconds();
}
