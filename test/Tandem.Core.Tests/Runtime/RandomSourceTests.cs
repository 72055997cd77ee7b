using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Runtime;

public sealed class RandomSourceTests
{
    [Fact]
    public void Seeded_SameSeedSameSequence_OtherSeedOtherSequence()
    {
        var a = RandomSource.Seeded(42);
        var b = RandomSource.Seeded(42);
        var c = RandomSource.Seeded(43);

        var sa = Enumerable.Range(0, 100).Select(_ => a.NextDouble()).ToArray();
        var sb = Enumerable.Range(0, 100).Select(_ => b.NextDouble()).ToArray();
        var sc = Enumerable.Range(0, 100).Select(_ => c.NextDouble()).ToArray();

        Assert.Equal(sa, sb);
        Assert.NotEqual(sa, sc);
        Assert.All(sa, v => Assert.InRange(v, 0.0, 0.9999999999));
    }

    [Fact]
    public void Seeded_IsUniformEnough_AndNextStaysInRange()
    {
        var random = RandomSource.Seeded(7);
        var counts = new int[10];
        for (var i = 0; i < 100_000; i++)
        {
            counts[random.Next(10)]++;
        }

        // 10,000 expected per bucket; 5 standard deviations of a binomial(100000, 0.1) is 474.
        Assert.All(counts, n => Assert.InRange(n, 10_000 - 474, 10_000 + 474));
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(-1.0, false)]
    [InlineData(1.0, true)]
    [InlineData(2.0, true)]
    public void Sample_EdgesAreExact(double rate, bool expected)
    {
        var random = RandomSource.Seeded(1);
        Assert.All(Enumerable.Range(0, 1000), _ => Assert.Equal(expected, random.Sample(rate)));
    }

    [Fact]
    public void Sample_Rate_IsHonoured()
    {
        var random = RandomSource.Seeded(3);
        var hits = Enumerable.Range(0, 100_000).Count(_ => random.Sample(0.25));

        // 25,000 expected; 5 standard deviations of binomial(100000, 0.25) is 685.
        Assert.InRange(hits, 25_000 - 685, 25_000 + 685);
    }
}
