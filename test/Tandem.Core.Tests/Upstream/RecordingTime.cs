namespace Tandem.Core.Tests.Upstream;

/// <summary>
/// A clock whose timers fire at once and whose requested delays are recorded: the retry strategy waits through it,
/// so a test reads the exact wait a retry asked for (a Retry-After honoured, or the backoff) without waiting.
/// </summary>
internal sealed class RecordingTime : TimeProvider
{
    private readonly List<TimeSpan> _delays = [];

    /// <summary>Every timer's due time, in order.</summary>
    public IReadOnlyList<TimeSpan> Delays
    {
        get
        {
            lock (_delays)
            {
                return [.. _delays];
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        lock (_delays)
        {
            _delays.Add(dueTime);
        }

        return System.CreateTimer(callback, state, TimeSpan.Zero, period);
    }
}
