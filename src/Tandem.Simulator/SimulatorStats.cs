using System.Collections.Concurrent;

namespace Tandem.Simulator;

/// <summary>A request as the simulator received it.</summary>
public sealed record ReceivedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>Counters the simulator keeps, and a way for tests to wait for them without sleeping.</summary>
public sealed class SimulatorStats
{
    private readonly ConcurrentQueue<ReceivedRequest> _recent = new();
    private long _received;
    private long _completed;
    private long _cancelled;
    private long _faults;
    private int _inFlight;
    private int _maxInFlight;
    private long _rejected;
    private long _answersMatched;
    private long _answersUnmatched;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Requests received.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Requests answered to the end.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Requests whose client went away before the answer was complete.</summary>
    public long Cancelled => Interlocked.Read(ref _cancelled);

    /// <summary>Requests that got an injected fault.</summary>
    public long Faults => Interlocked.Read(ref _faults);

    /// <summary>Requests being handled now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The most requests handled at once since start (or <see cref="Reset"/>).</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);
    /// <summary>Requests refused as malformed (400), as OpenAI refuses them.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Chat requests whose input was found in the answers file.</summary>
    public long AnswersMatched => Interlocked.Read(ref _answersMatched);

    /// <summary>Chat requests whose input was not in the answers file (they got a generated answer instead).</summary>
    public long AnswersUnmatched => Interlocked.Read(ref _answersUnmatched);

    /// <summary>The most recent requests, oldest first (kept only when recording is on).</summary>
    public IReadOnlyList<ReceivedRequest> Recent => [.. _recent];

    internal void OnReceived(ReceivedRequest? request, int keep)
    {
        Interlocked.Increment(ref _received);
        if (request is not null && keep > 0)
        {
            _recent.Enqueue(request);
            while (_recent.Count > keep && _recent.TryDequeue(out _))
            {
            }
        }

        Signal();
    }

    internal void Enter()
    {
        var now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }
    }

    internal void Leave()
    {
        Interlocked.Decrement(ref _inFlight);
        Signal();
    }

    internal void OnCompleted()
    {
        Interlocked.Increment(ref _completed);
        Signal();
    }

    internal void OnCancelled()
    {
        Interlocked.Increment(ref _cancelled);
        Signal();
    }

    internal void OnFault()
    {
        Interlocked.Increment(ref _faults);
        Signal();
    }

    internal void OnRejected()
    {
        Interlocked.Increment(ref _rejected);
        Signal();
    }

    internal void OnAnswer(bool matched)
    {
        Interlocked.Increment(ref matched ? ref _answersMatched : ref _answersUnmatched);
        Signal();
    }

    /// <summary>Forgets counters and recorded requests.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _received, 0);
        Interlocked.Exchange(ref _completed, 0);
        Interlocked.Exchange(ref _cancelled, 0);
        Interlocked.Exchange(ref _faults, 0);
        Interlocked.Exchange(ref _maxInFlight, Volatile.Read(ref _inFlight));
        Interlocked.Exchange(ref _rejected, 0);
        Interlocked.Exchange(ref _answersMatched, 0);
        Interlocked.Exchange(ref _answersUnmatched, 0);
        _recent.Clear();
        Signal();
    }

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking on every change.</summary>
    public async Task WaitForAsync(Func<SimulatorStats, bool> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (condition(this))
            {
                return;
            }

            try
            {
                await changed.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"simulator condition not met within {timeout} (received {Received}, completed {Completed}, cancelled {Cancelled})");
            }
        }
    }

    private void Signal()
    {
        var previous = Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
    }
}
