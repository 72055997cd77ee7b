namespace Tandem.Limits;

/// <summary>
/// Counters in this process only: what an instance counts on while the shared store is down
/// (<c>on_store_failure: open</c>), and the reference the shared stores are tested against. A lock makes each take
/// atomic; expired counters are dropped as new ones are created.
/// </summary>
public sealed class MemoryLimitCounterStore : ILimitCounterStore
{
    private readonly Dictionary<string, (long Used, long ExpiresAtMs)> _counters = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private long _nextSweepMs;

    /// <summary>Creates an empty store; <paramref name="time"/> decides when counters expire.</summary>
    public MemoryLimitCounterStore(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Counters held (tests).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _counters.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<LimitTakeResult> TakeAsync(LimitCharge[] charges, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(charges);
        var used = new long[charges.Length];
        lock (_lock)
        {
            Sweep();
            for (var i = 0; i < charges.Length; i++)
            {
                var c = charges[i];
                var current = _counters.TryGetValue(c.Counter, out var v) ? v.Used : 0;
                if (current + c.Amount > c.Cap)
                {
                    return ValueTask.FromResult(new LimitTakeResult(i, new long[charges.Length]));
                }
            }

            for (var i = 0; i < charges.Length; i++)
            {
                var c = charges[i];
                var current = _counters.TryGetValue(c.Counter, out var v) ? v.Used : 0;
                used[i] = current + c.Amount;
                _counters[c.Counter] = (used[i], Math.Max(c.ExpiresAtMs, v.ExpiresAtMs));
            }
        }

        return ValueTask.FromResult(new LimitTakeResult(-1, used));
    }

    /// <inheritdoc />
    public ValueTask<long[]> AdjustAsync(LimitCharge[] adjustments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adjustments);
        var used = new long[adjustments.Length];
        lock (_lock)
        {
            for (var i = 0; i < adjustments.Length; i++)
            {
                var c = adjustments[i];
                if (_counters.TryGetValue(c.Counter, out var v))
                {
                    used[i] = v.Used + c.Amount;
                    _counters[c.Counter] = (used[i], v.ExpiresAtMs);
                }
            }
        }

        return ValueTask.FromResult(used);
    }

    private void Sweep()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now < _nextSweepMs)
        {
            return;
        }

        _nextSweepMs = now + 60_000;
        foreach (var (id, v) in _counters)
        {
            if (v.ExpiresAtMs < now)
            {
                _counters.Remove(id);
            }
        }
    }
}
