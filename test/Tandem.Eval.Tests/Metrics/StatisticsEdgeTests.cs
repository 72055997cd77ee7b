using Tandem.Eval.Metrics;
using Xunit;

namespace Tandem.Eval.Tests.Metrics;

/// <summary>
/// Statistics and thresholds at their edges: empty and single samples, the sample variance, a bootstrap whose every
/// resample is the same, McNemar's exact tail over several terms, argument guards, and which threshold text is a
/// bare number and which no duration at all.
/// </summary>
public sealed class StatisticsEdgeTests
{
    [Fact]
    public void MeanInterval_EmptyIsNaN_OneValueIsItself_ThreeUseTheSampleVariance()
    {
        var empty = Statistics.MeanInterval([]);
        Assert.True(double.IsNaN(empty.Mean) && double.IsNaN(empty.Low) && double.IsNaN(empty.High));
        Assert.Equal((4.0, 4.0, 4.0), Statistics.MeanInterval([4]));

        // 1, 2, 3: mean 2, sample variance (1 + 0 + 1) / 2 = 1, half-width 1.959963984540054 × √(1/3) = 1.1315857340…
        var (mean, low, high) = Statistics.MeanInterval([1, 2, 3]);
        Assert.Equal(2, mean, 12);
        Assert.Equal(2 - 1.1315857340761717, low, 9);
        Assert.Equal(2 + 1.1315857340761717, high, 9);
    }

    [Fact]
    public void PairedBootstrap_EqualDifferences_EveryResampleIsThatDifference()
    {
        // Differences 1, 1, 1: whichever cases a resample draws, its mean is 1.
        Assert.Equal((1.0, 1.0, 1.0), Statistics.PairedBootstrap([0, 0, 0], [1, 1, 1], seed: 7, resamples: 50));
        var empty = Statistics.PairedBootstrap([], [], seed: 7);
        Assert.True(double.IsNaN(empty.Difference) && double.IsNaN(empty.Low) && double.IsNaN(empty.High));
    }

    [Fact]
    public void PairedBootstrap_UnequalLengths_AreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Statistics.PairedBootstrap([1, 2], [1], seed: 1));
        Assert.Equal("candidate", e.ParamName);
        Assert.StartsWith("paired samples must have the same length", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void McNemar_ExactTailSumsEveryTermUpToTheSmallerCount()
    {
        // b = 5, c = 1, n = 6: χ² = (|5 − 1| − 1)² / 6 = 1.5; P(X ≤ 1) = (C(6,0) + C(6,1)) / 2⁶ = 7/64, two-sided 14/64.
        var (chi, p) = Statistics.McNemar(5, 1);
        Assert.Equal(1.5, chi, 12);
        Assert.Equal(14.0 / 64, p, 12);
        // b = 2, c = 1: |b − c| = 1, no evidence either way: χ² is 0; P(X ≤ 1) = (1 + 3) / 8, two-sided capped at 1.
        Assert.Equal((0.0, 1.0), Statistics.McNemar(2, 1));
    }

    [Fact]
    public void Quantile_EmptyIsNaN() => Assert.True(double.IsNaN(Statistics.Quantile([], 0.5)));

    [Fact]
    public void Guards_NameTheirArgument()
    {
        Assert.Equal("values", Assert.Throws<ArgumentNullException>(() => Statistics.MeanInterval(null!)).ParamName);
        Assert.Equal("baseline", Assert.Throws<ArgumentNullException>(() => Statistics.PairedBootstrap(null!, [], 1)).ParamName);
        Assert.Equal("candidate", Assert.Throws<ArgumentNullException>(() => Statistics.PairedBootstrap([], null!, 1)).ParamName);
        Assert.Equal("sorted", Assert.Throws<ArgumentNullException>(() => Statistics.Quantile(null!, 0.5)).ParamName);
        Assert.Equal("text", Assert.Throws<ArgumentNullException>(() => ThresholdParser.TryParseAccuracyDrop(null!, "--x", out _, out _)).ParamName);
        Assert.Equal("text", Assert.Throws<ArgumentNullException>(() => ThresholdParser.TryParseLatency(null!, "--x", out _, out _)).ParamName);
    }

    [Fact]
    public void Thresholds_ReadValues_LeaveNoError()
    {
        Assert.True(ThresholdParser.TryParseAccuracyDrop("2%", "--max-accuracy-drop", out _, out var percent));
        Assert.True(ThresholdParser.TryParseAccuracyDrop("0.02", "--max-accuracy-drop", out _, out var fraction));
        Assert.True(ThresholdParser.TryParseLatency("800ms", "--max-p95", out _, out var latency));
        Assert.Equal(("", "", ""), (percent, fraction, latency));
    }

    [Theory]
    [InlineData("0", "--max-p95: '0' is not a positive duration (e.g. 800ms, 2s)")]
    [InlineData("-5", "--max-p95: '-5' is not a positive duration (e.g. 800ms, 2s)")]
    [InlineData("Infinity", "--max-p95: 'Infinity' is not a positive duration (e.g. 800ms, 2s)")]
    [InlineData(" 250 ", "--max-p95: ' 250 ' needs a unit: 250ms or 250s")]
    public void Latency_OnlyAPositiveFiniteBareNumberIsAskedForItsUnit(string text, string expected)
    {
        Assert.False(ThresholdParser.TryParseLatency(text, "--max-p95", out _, out var error));
        Assert.Equal(expected, error);
    }
}
