using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Tandem.Costs;
using Tandem.Records;
using Xunit;

namespace Tandem.Storage.Tests;

/// <summary>
/// The record writer's policies, on fake stores and clocks: the retry delay doubles from its minimum to its maximum
/// while the database refuses writes, failures are logged on the 1st, 2nd, 4th, 8th… attempt, a full queue drops
/// and logs at most once a second, and a stop with a healthy database writes everything held.
/// </summary>
public sealed class RecordWriterPolicyTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StoreRefusing_RetryDelayDoublesUpToItsMaximum_AndFailuresAreLoggedOnPowersOfTwo()
    {
        var store = new ScriptedStore(failures: 9);
        var time = new RecordingTime();
        var logs = new ListLogger();
        using var writer = new RecordWriter(store, new RecordWriterOptions
        {
            Capacity = 100, BatchSize = 10, MinRetryDelay = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromSeconds(1),
        }, logs, time);

        // Queued before the loop starts, so that they form one batch.
        for (var i = 0; i < 3; i++)
        {
            Assert.True(writer.TryWrite(RecordStoreTests.Sample("r" + i, Noon)));
        }

        await writer.StartAsync(Ct);

        await store.Written.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await writer.StopAsync(Ct);

        // Nine refusals of the same batch, then it is written: the waits 100, 200, 400, 800 ms, then the 1 s maximum.
        Assert.Equal([100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000], time.Delays.Select(d => d.TotalMilliseconds));
        Assert.Equal(10, store.Attempts);
        Assert.Equal((3L, 0L, 0L, false), (writer.Written, writer.Dropped, writer.Held, writer.Failing));
        Assert.Equal(
        [
            "Writing 3 records to memory failed (attempt 1); retrying in 100 ms: IOException: refused 1",
            "Writing 3 records to memory failed (attempt 2); retrying in 200 ms: IOException: refused 2",
            "Writing 3 records to memory failed (attempt 4); retrying in 800 ms: IOException: refused 4",
            "Writing 3 records to memory failed (attempt 8); retrying in 1000 ms: IOException: refused 8",
            "Writing records to memory works again after 9 failed attempt(s)",
        ], logs.Messages.Where(m => m.StartsWith("Writing", StringComparison.Ordinal)));
        Assert.Single(store.BatchIds.Distinct()); // every retry of the batch under one id: written once
    }

    [Fact]
    public async Task QueueFull_DropsAndCounts_LoggingAtMostOnceASecond()
    {
        var store = new ScriptedStore(failures: 0) { Hang = true };
        var time = new FakeTimeProvider(Noon);
        var logs = new ListLogger();
        using var writer = new RecordWriter(store, new RecordWriterOptions { Capacity = 2, BatchSize = 1 }, logs, time);
        await writer.StartAsync(Ct);

        // Two records held (one in the hanging write, one queued): the capacity; the third is dropped.
        Assert.True(writer.TryWrite(RecordStoreTests.Sample("a", Noon)));
        Assert.True(writer.TryWrite(RecordStoreTests.Sample("b", Noon)));
        Assert.False(writer.TryWrite(RecordStoreTests.Sample("c", Noon))); // logged
        Assert.False(writer.TryWrite(RecordStoreTests.Sample("d", Noon))); // within the second: not logged
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(writer.TryWrite(RecordStoreTests.Sample("e", Noon))); // still within it
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(writer.TryWrite(RecordStoreTests.Sample("f", Noon))); // a second later: logged

        Assert.Equal((4L, 2L), (writer.Dropped, writer.Held));
        Assert.Equal(
        [
            "Record queue full (2 records held): dropped 1 record(s) so far; requests are still served",
            "Record queue full (2 records held): dropped 4 record(s) so far; requests are still served",
        ], logs.Messages.Where(m => m.StartsWith("Record queue full", StringComparison.Ordinal)));
        using var expired = new CancellationTokenSource();
        await expired.CancelAsync();
        await writer.StopAsync(expired.Token);
        Assert.Equal((0L, 6L), (writer.Written, writer.Dropped)); // the two held are lost at the stop, and counted
    }

    [Fact]
    public async Task Stop_HealthyStore_WritesEveryHeldRecordInBatches()
    {
        var store = new ScriptedStore(failures: 0);
        var logs = new ListLogger();
        using var writer = new RecordWriter(store, new RecordWriterOptions { Capacity = 100, BatchSize = 4 }, logs);
        await writer.StartAsync(Ct);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(writer.TryWrite(RecordStoreTests.Sample("s" + i, Noon)));
        }

        await writer.StopAsync(Ct);

        Assert.Equal((10L, 0L, 0L), (writer.Written, writer.Dropped, writer.Held));
        Assert.Equal(10, store.Records.Count);
        Assert.All(store.BatchSizes, n => Assert.InRange(n, 1, 4)); // never more than batch_size at once
        Assert.Contains("Record writer stopped: 10 record(s) written, 0 dropped since start", logs.Messages);
        Assert.DoesNotContain(logs.Messages, m => m.StartsWith("Shutdown:", StringComparison.Ordinal));
    }

    /// <summary>A store that refuses the first <c>failures</c> writes, then keeps what it is given; or hangs until cancelled.</summary>
    private sealed class ScriptedStore(int failures) : IRecordStore
    {
        private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<RequestRecord> _records = [];
        private readonly List<int> _batchSizes = [];
        private readonly List<Guid> _batchIds = [];
        private int _attempts;

        public bool Hang { get; init; }

        public Task Written => _written.Task;

        public int Attempts => Volatile.Read(ref _attempts);

        public IReadOnlyList<RequestRecord> Records
        {
            get
            {
                lock (_records)
                {
                    return [.. _records];
                }
            }
        }

        public IReadOnlyList<int> BatchSizes
        {
            get
            {
                lock (_records)
                {
                    return [.. _batchSizes];
                }
            }
        }

        public IReadOnlyList<Guid> BatchIds
        {
            get
            {
                lock (_records)
                {
                    return [.. _batchIds];
                }
            }
        }

        public string Engine => "memory";

        public async Task WriteAsync(IReadOnlyList<RequestRecord> records, Guid batchId, CancellationToken cancellationToken = default)
        {
            var attempt = Interlocked.Increment(ref _attempts);
            lock (_records)
            {
                _batchIds.Add(batchId);
            }

            if (Hang)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            if (attempt <= failures)
            {
                throw new IOException("refused " + attempt);
            }

            lock (_records)
            {
                _records.AddRange(records);
                _batchSizes.Add(records.Count);
            }

            _written.TrySetResult();
        }

        public Task MigrateAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<bool> PingAsync(CancellationToken cancellationToken = default) => Task.FromResult(true);

        public Task<RequestRecord?> GetAsync(string requestId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<long> CountAsync(DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<UsageQueryResult> QueryUsageAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<RollupRow>> ReadRollupsAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<MaintenanceResult> MaintainAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<StorageSize> MeasureAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>A clock whose timers fire at once, recording the delays asked for.</summary>
    private sealed class RecordingTime : TimeProvider
    {
        private readonly List<TimeSpan> _delays = [];

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
            // The stop's abort grace is a timer too; only retry waits are wanted here.
            if (dueTime < TimeSpan.FromSeconds(2))
            {
                lock (_delays)
                {
                    _delays.Add(dueTime);
                }

                dueTime = TimeSpan.Zero;
            }

            return System.CreateTimer(callback, state, dueTime, period);
        }
    }

    private sealed class ListLogger : ILogger<RecordWriter>
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_messages)
            {
                _messages.Add(formatter(state, exception));
            }
        }
    }
}
