using Tandem.Eval.Metrics;
using Xunit;

namespace Tandem.Eval.Tests.Metrics;

/// <summary>Verdict thresholds whose unit could be read two ways are usage errors (issue 18, item 8).</summary>
public sealed class ThresholdParserTests
{
    [Theory]
    [InlineData("2%", 0.02)]
    [InlineData("2 %", 0.02)]
    [InlineData("2pt", 0.02)]
    [InlineData("2pp", 0.02)]
    [InlineData("0.5%", 0.005)]
    [InlineData("0.02", 0.02)]
    [InlineData("0.25", 0.25)]
    [InlineData("0", 0.0)]
    [InlineData("100%", 1.0)]
    public void TryParseAccuracyDrop_PercentPointsOrFraction_IsRead(string text, double expected)
    {
        Assert.True(ThresholdParser.TryParseAccuracyDrop(text, "--max-accuracy-drop", out var fraction, out var error), error);
        Assert.Equal(expected, fraction, 12);
    }

    [Theory]
    [InlineData("2", "--max-accuracy-drop: '2' is ambiguous: write 2% (or 2pt) for 2 percentage points, or a fraction below 1 such as 0.02")]
    [InlineData("1", "--max-accuracy-drop: '1' is ambiguous: write 1% (or 1pt) for 1 percentage points, or a fraction below 1 such as 0.02")]
    [InlineData("150%", "--max-accuracy-drop: '150%' is more than 100 points")]
    [InlineData("-2%", "--max-accuracy-drop: '-2%' is not an accuracy drop (e.g. 2%, 2pt or 0.02)")]
    [InlineData("NaN", "--max-accuracy-drop: 'NaN' is not an accuracy drop (e.g. 2%, 2pt or 0.02)")]
    [InlineData("a lot", "--max-accuracy-drop: 'a lot' is not an accuracy drop (e.g. 2%, 2pt or 0.02)")]
    public void TryParseAccuracyDrop_AmbiguousOrInvalid_IsRefusedWithAClearMessage(string text, string expected)
    {
        Assert.False(ThresholdParser.TryParseAccuracyDrop(text, "--max-accuracy-drop", out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("800ms", 800)]
    [InlineData("2s", 2000)]
    [InlineData("1.5s", 1500)]
    public void TryParseLatency_WithAUnit_IsRead(string text, double ms)
    {
        Assert.True(ThresholdParser.TryParseLatency(text, "--max-p95", out var latency, out _));
        Assert.Equal(ms, latency.TotalMilliseconds);
    }

    [Theory]
    [InlineData("800", "--max-p95: '800' needs a unit: 800ms or 800s")]
    [InlineData("0ms", "--max-p95: '0ms' is not a positive duration (e.g. 800ms, 2s)")]
    [InlineData("soon", "--max-p95: 'soon' is not a positive duration (e.g. 800ms, 2s)")]
    [InlineData("1e300s", "--max-p95: '1e300s' is not a positive duration (e.g. 800ms, 2s)")]
    public void TryParseLatency_BareNumberOrInvalid_IsRefused(string text, string expected)
    {
        Assert.False(ThresholdParser.TryParseLatency(text, "--max-p95", out _, out var error));
        Assert.Equal(expected, error);
    }
}
