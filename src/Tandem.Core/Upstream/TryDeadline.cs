using System.Collections.Concurrent;
using System.Diagnostics;

namespace Tandem.Upstream;

/// <summary>
/// The cancellation of one try, over HTTP or in process: the caller's token, or the try's deadline (first byte, then
/// total), whichever comes first. Reused from one try to the next (a linked token source with its timer costs about
/// 300 bytes and a timer-queue insertion per request; issue 17's budget for an in-process call is 1 KB), so that
/// nothing of an earlier try may ever cancel a later one:
/// <list type="bullet">
/// <item>the deadline is the pool's own timer, armed under a lock: a callback that fires for an earlier arming (queued
/// before it was moved or released) finds the deadline not due, or none, and re-arms or does nothing;</item>
/// <item>a deadline that fires marks the try as cancelling before it cancels, and such a try is never reused;</item>
/// <item>the source goes back only when <see cref="CancellationTokenSource.TryReset"/> succeeds (never cancelled, every
/// registration left on it removed), after the caller's registration is gone.</item>
/// </list>
/// Whoever holds <see cref="Source"/> uses its token only while the try is theirs, and never calls its CancelAfter
/// (the deadline is <see cref="CancelAfter"/>).
/// </summary>
internal sealed class TryDeadline
{
    private readonly TryDeadlinePool _pool;
    private readonly Lock _gate = new();
    private readonly ITimer _timer;
    private CancellationTokenRegistration _caller;
    private long _due;
    private bool _firing;
    private bool _released;

    internal TryDeadline(TryDeadlinePool pool)
    {
        _pool = pool;
        _timer = TimeProvider.System.CreateTimer(static s => ((TryDeadline)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The try's token source: cancelled by the caller's token or the deadline.</summary>
    public CancellationTokenSource Source { get; } = new();

    /// <summary>A deadline for a new try from the shared pool, bounded by <paramref name="caller"/> too.</summary>
    public static TryDeadline Rent(CancellationToken caller) => TryDeadlinePool.Shared.Rent(caller);

    /// <summary>Makes a deadline the pool handed out ready for a new try.</summary>
    internal void Start(CancellationToken caller)
    {
        lock (_gate)
        {
            _released = false;
        }

        // A registration, not a linked source: nothing is allocated when the caller's token cannot be cancelled.
        _caller = caller.UnsafeRegister(static s => ((TryDeadline)s!).Source.Cancel(), this);
    }

    /// <summary>Cancels <see cref="Source"/> after <paramref name="delay"/>, replacing the deadline set before.</summary>
    public void CancelAfter(TimeSpan delay)
    {
        lock (_gate)
        {
            if (_released || _firing)
            {
                return;
            }

            _due = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
            _timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The timer's callback (called directly by tests as a late callback would come).</summary>
    internal void OnTimer()
    {
        lock (_gate)
        {
            if (_released || _firing || _due == 0)
            {
                return;
            }

            var left = _due - Stopwatch.GetTimestamp();
            if (left > 0)
            {
                // Fired for an earlier arming, or a little early: wait for the deadline that stands.
                _timer.Change(TimeSpan.FromSeconds(Math.Max(left, Stopwatch.Frequency / 1000) / (double)Stopwatch.Frequency), Timeout.InfiniteTimeSpan);
                return;
            }

            _firing = true;
        }

        Source.Cancel();
    }

    /// <summary>Ends the try: the deadline back in the pool when nothing of it can reach the next try, else dropped.</summary>
    public void Release()
    {
        // Waits for a caller's cancellation already running; none can start after.
        _caller.Dispose();
        bool firing;
        lock (_gate)
        {
            _released = true;
            _due = 0;
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            firing = _firing;
        }

        if (firing)
        {
            // The deadline's cancellation may still be running on the timer's thread: this one is not reused, and
            // its source is left to the collector (disposing it during Cancel is not safe).
            _timer.Dispose();
            return;
        }

        if (Source.TryReset() && _pool.TryKeep(this))
        {
            return;
        }

        // Cancelled by the caller (whose callback has ended), or the pool is full.
        _timer.Dispose();
        Source.Dispose();
    }
}

/// <summary>Idle <see cref="TryDeadline"/>s, at most a capacity of them.</summary>
internal sealed class TryDeadlinePool(int capacity)
{
    private readonly ConcurrentQueue<TryDeadline> _idle = new();
    private int _count;

    /// <summary>The pool of every try (<see cref="UpstreamCall"/>, <see cref="InProcessCall{TAnswer}"/>): room for the tries in flight at a few thousand requests a second.</summary>
    public static TryDeadlinePool Shared { get; } = new(1024);

    /// <summary>Idle deadlines held.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>An idle deadline, or a new one, for a try bounded by <paramref name="caller"/> too.</summary>
    public TryDeadline Rent(CancellationToken caller)
    {
        TryDeadline? deadline;
        if (_idle.TryDequeue(out deadline))
        {
            Interlocked.Decrement(ref _count);
        }
        else
        {
            deadline = new TryDeadline(this);
        }

        deadline.Start(caller);
        return deadline;
    }

    /// <summary>Keeps a reset deadline when there is room.</summary>
    internal bool TryKeep(TryDeadline deadline)
    {
        if (Interlocked.Increment(ref _count) <= capacity)
        {
            _idle.Enqueue(deadline);
            return true;
        }

        Interlocked.Decrement(ref _count);
        return false;
    }
}
