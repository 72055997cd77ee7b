using Tandem.Eval.Metrics;
using Xunit;

namespace Tandem.Eval.Tests.Metrics;

public sealed class StatisticsTests
{
    [Theory]
    [InlineData(95, 100, 0.8882, 0.9785)]
    [InlineData(0, 10, 0.0, 0.2775)]
    [InlineData(10, 10, 0.7225, 1.0)]
    public void Wilson_KnownValues(int k, int n, double low, double high)
    {
        var (l, h) = Statistics.Wilson(k, n);
        Assert.Equal(low, l, 3);
        Assert.Equal(high, h, 3);
    }

    [Theory]
    [InlineData(10, 2, 4.0833, 0.0386)]   // exact binomial: 2 * P(X <= 2 | n=12, p=1/2) = 2 * 79/4096
    [InlineData(5, 5, 0.0, 1.0)]
    [InlineData(0, 0, 0.0, 1.0)]
    [InlineData(0, 12, 10.0833, 0.000488)]
    public void McNemar_KnownValues(int b, int c, double chi, double p)
    {
        var (x, pv) = Statistics.McNemar(b, c);
        Assert.Equal(chi, x, 3);
        Assert.Equal(p, pv, 4);
    }

    [Fact]
    public void McNemar_LargeCounts_StaysFinite()
    {
        var (_, p) = Statistics.McNemar(2000, 1800);
        Assert.InRange(p, 0.0, 0.01);
    }

    [Fact]
    public void PairedBootstrap_SeededAndCoversObservedDifference()
    {
        var random = new Random(3);
        var a = Enumerable.Range(0, 400).Select(_ => random.NextDouble() < 0.9 ? 1.0 : 0.0).ToArray();
        var b = a.Select((v, i) => i % 10 == 0 ? 0.0 : v).ToArray();

        var one = Statistics.PairedBootstrap(a, b, seed: 42);
        var two = Statistics.PairedBootstrap(a, b, seed: 42);

        Assert.Equal(one, two);
        Assert.Equal(b.Average() - a.Average(), one.Difference, 10);
        Assert.True(one.Low < one.Difference && one.Difference < one.High);
        Assert.True(one.High < 0); // every change is a loss: the interval excludes zero
    }

    [Fact]
    public void Quantile_LinearInterpolation()
    {
        double[] sorted = [10, 20, 30, 40];
        Assert.Equal(25, Statistics.Quantile(sorted, 0.5));
        Assert.Equal(38.5, Statistics.Quantile(sorted, 0.95), 6);
        Assert.Equal(10, Statistics.Quantile(sorted, 0));
    }

    [Fact]
    public void MeanInterval_NormalApproximation()
    {
        var (mean, low, high) = Statistics.MeanInterval([1, 2, 3, 4, 5]);
        Assert.Equal(3, mean);
        Assert.Equal(3 - (1.96 * Math.Sqrt(2.5 / 5)), low, 2);
        Assert.Equal(3 + (1.96 * Math.Sqrt(2.5 / 5)), high, 2);
    }
}
