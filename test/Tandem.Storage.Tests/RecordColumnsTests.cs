using Tandem.Records;
using Xunit;

namespace Tandem.Storage.Tests;

/// <summary>How a record's values become stored columns: operation codes, microseconds, nanodollars, flags, days.</summary>
public sealed class RecordColumnsTests
{
    [Theory]
    [InlineData("chat", 0)]
    [InlineData("completions", 1)]
    [InlineData("embeddings", 2)]
    [InlineData("responses", 3)]
    public void Operation_CodesAreStable(string operation, short code)
    {
        Assert.Equal(code, RecordColumns.Operation(operation));
        Assert.Equal(code == 3 ? "other" : operation, RecordColumns.Operation((long)code));
    }

    [Theory]
    [InlineData(1.2344, 1234)] // 1,234.4 µs rounds down
    [InlineData(1.2346, 1235)] // 1,234.6 µs rounds up
    [InlineData(0.0, 0)]
    [InlineData(-5.0, 0)] // a negative duration is none
    [InlineData(double.NaN, 0)]
    [InlineData(2_147_483.647, int.MaxValue)] // the largest a column holds, about 36 minutes
    [InlineData(1e12, int.MaxValue)]
    public void Micros_RoundedAndBounded(double ms, int micros) =>
        Assert.Equal(micros, RecordColumns.Micros(ms));

    [Theory]
    [InlineData("0.000000001", 1)]
    [InlineData("0.0000000015", 2)] // half a nanodollar rounds away from zero
    [InlineData("0.0000000025", 3)]
    [InlineData("-0.0000000015", -2)]
    [InlineData("1.5", 1_500_000_000)]
    [InlineData("0", 0)]
    public void Nanos_RoundHalfAwayFromZero_AndBack(string dollars, long nanos)
    {
        var value = decimal.Parse(dollars, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(nanos, RecordColumns.Nanos(value));
        Assert.Equal(nanos / 1_000_000_000m, RecordColumns.Dollars(nanos));
    }

    [Fact]
    public void Flags_OneBitPerFact()
    {
        var plain = new RequestRecord();
        var all = new RequestRecord { Stream = true, TokensEstimated = true, PromptContent = "p" };
        all.Attempts.Add(new AttemptRecord("a", 503, "http_503", 1));
        all.Attempts.Add(new AttemptRecord("b", 200, null, 1));
        var oneAttempt = new RequestRecord { ResponseContent = "r" };
        oneAttempt.Attempts.Add(new AttemptRecord("a", 200, null, 1));

        Assert.Equal(RecordFlags.None, RecordColumns.FlagsOf(plain));
        Assert.Equal(RecordFlags.Stream | RecordFlags.TokensEstimated | RecordFlags.HasAttempts | RecordFlags.HasContent, RecordColumns.FlagsOf(all));
        Assert.Equal(RecordFlags.HasContent, RecordColumns.FlagsOf(oneAttempt)); // a single attempt is stored inline
        Assert.Equal((1, 2, 4, 8), ((int)RecordFlags.Stream, (int)RecordFlags.TokensEstimated, (int)RecordFlags.HasAttempts, (int)RecordFlags.HasContent));
    }

    [Fact]
    public void Days_CountFromTheUnixEpochInUtc()
    {
        var lastMsOfDay = new DateTimeOffset(2026, 11, 20, 23, 59, 59, 999, TimeSpan.Zero);
        var firstMsOfNext = lastMsOfDay.AddMilliseconds(1);

        // 2026-11-20 is day 20,777 since 1970-01-01 (56 years × 365 + 14 leap days = 20,454, plus 323 days of 2026).
        Assert.Equal(20_777, RecordColumns.DayNumber(lastMsOfDay));
        Assert.Equal(20_778, RecordColumns.DayNumber(firstMsOfNext));
        Assert.Equal(20_777, RecordColumns.DayNumber(new DateOnly(2026, 11, 20)));
        Assert.Equal(new DateOnly(2026, 11, 20), RecordColumns.Day(lastMsOfDay.ToUnixTimeMilliseconds()));
        Assert.Equal(new DateOnly(2026, 11, 21), RecordColumns.Day(firstMsOfNext.ToUnixTimeMilliseconds()));
        Assert.Equal(new DateOnly(1970, 1, 1), RecordColumns.Day(0));
        // 00:30 on the 21st at +01:00 is 23:30 on the 20th in UTC: the 20th's day.
        Assert.Equal(20_777, RecordColumns.DayNumber(new DateTimeOffset(2026, 11, 21, 0, 30, 0, TimeSpan.FromHours(1))));
    }
}
