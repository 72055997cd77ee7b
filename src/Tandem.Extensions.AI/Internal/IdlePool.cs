using System.Collections.Concurrent;

namespace Tandem.Extensions.AI.Internal;

/// <summary>Idle objects kept for reuse, at most <paramref name="capacity"/> of them (beyond it they are left to the collector).</summary>
/// <typeparam name="T">What is kept.</typeparam>
internal sealed class IdlePool<T>(int capacity)
    where T : class
{
    private readonly ConcurrentQueue<T> _idle = new();
    private int _count;

    /// <summary>Idle objects held.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>An idle object, or null.</summary>
    public T? TryTake()
    {
        if (!_idle.TryDequeue(out var item))
        {
            return null;
        }

        Interlocked.Decrement(ref _count);
        return item;
    }

    /// <summary>Keeps <paramref name="item"/> when there is room; false otherwise (the caller releases it).</summary>
    public bool TryKeep(T item)
    {
        if (Interlocked.Increment(ref _count) > capacity)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }

        _idle.Enqueue(item);
        return true;
    }
}
