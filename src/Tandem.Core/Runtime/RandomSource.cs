namespace Tandem.Runtime;

/// <summary>
/// Where Tandem's random choices come from (shadow and judge sampling, replica choice, retry jitter is Polly's own).
/// Sticky splits and canary steps never use it: they hash the user, so they are deterministic by design. A seeded source
/// makes every sampled decision reproducible in tests and incident replays.
/// </summary>
public abstract class RandomSource
{
    /// <summary>The process-wide unseeded source.</summary>
    public static RandomSource Shared { get; } = new SharedSource();

    /// <summary>A thread-safe source whose sequence is fixed by <paramref name="seed"/>.</summary>
    public static RandomSource Seeded(ulong seed) => new SeededSource(seed);

    /// <summary>A number in [0, 1).</summary>
    public abstract double NextDouble();

    /// <summary>An integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return Math.Min(maxExclusive - 1, (int)(NextDouble() * maxExclusive));
    }

    /// <summary>True with probability <paramref name="rate"/> (always for 1 or more, never for 0 or less).</summary>
    public bool Sample(double rate) => rate >= 1 || (rate > 0 && NextDouble() < rate);

    private sealed class SharedSource : RandomSource
    {
#pragma warning disable RS0030 // The one place the process-wide generator is wrapped.
        public override double NextDouble() => Random.Shared.NextDouble();
#pragma warning restore RS0030
    }

    /// <summary>SplitMix64 over an atomic counter: lock-free, and the n-th draw is the same in every run.</summary>
    private sealed class SeededSource(ulong seed) : RandomSource
    {
        private long _counter;

        public override double NextDouble()
        {
            var z = seed + (unchecked((ulong)Interlocked.Increment(ref _counter)) * 0x9E3779B97F4A7C15UL);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53));
        }
    }
}
