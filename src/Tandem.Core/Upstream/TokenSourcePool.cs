using System.Collections.Concurrent;

namespace Tandem.Upstream;

/// <summary>
/// Token sources for the timeouts of in-process tries, reused: a try's source and its timer cost about 150 bytes, more
/// than anything else an in-process call allocates (issue 17's budget is 1 KB per call). A source comes back only when
/// <see cref="CancellationTokenSource.TryReset"/> succeeds — it was never cancelled, its timer is stopped and every
/// registration left on it is removed — so a reused source cannot fire, or call back, for an earlier call. A cancelled
/// one is disposed instead. Whoever returns a source must no longer hand out its token.
/// </summary>
internal sealed class TokenSourcePool
{
    private readonly ConcurrentQueue<CancellationTokenSource> _pool = new();
    private readonly int _capacity;
    private int _count;

    /// <summary>A pool keeping at most <paramref name="capacity"/> idle sources.</summary>
    public TokenSourcePool(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _capacity = capacity;
    }

    /// <summary>The pool of the in-process tries (<see cref="InProcessCall{TAnswer}"/>).</summary>
    public static TokenSourcePool Shared { get; } = new(256);

    /// <summary>Idle sources held.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>An idle source, or a new one.</summary>
    public CancellationTokenSource Rent()
    {
        if (_pool.TryDequeue(out var source))
        {
            Interlocked.Decrement(ref _count);
            return source;
        }

        return new CancellationTokenSource();
    }

    /// <summary>Keeps <paramref name="source"/> for reuse when it can be reset and there is room; disposes it otherwise.</summary>
    public void Return(CancellationTokenSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.TryReset())
        {
            if (Interlocked.Increment(ref _count) <= _capacity)
            {
                _pool.Enqueue(source);
                return;
            }

            Interlocked.Decrement(ref _count);
        }

        source.Dispose();
    }
}
