using Microsoft.Extensions.Logging;
using Tandem.Costs;
using Tandem.Records;
using Xunit;

namespace Tandem.Storage.Tests;

public sealed class RecordWriterTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stop_BoundAlreadyExpired_CancelsTheWriteInFlight_CountsEveryHeldRecordAsDroppedAndLogsIt()
    {
        var store = new BlockingStore();
        var logs = new ListLogger();
        using var writer = new RecordWriter(store, new RecordWriterOptions { Capacity = 100, BatchSize = 10, FlushTimeout = TimeSpan.FromHours(1) }, logs);
        await writer.StartAsync(Ct);
        for (var i = 0; i < 25; i++)
        {
            Assert.True(writer.TryWrite(RecordStoreTests.Sample("s" + i, Noon.AddMilliseconds(i))));
        }

        await store.WriteStarted.WaitAsync(Ct); // the first batch (10) is in flight, 15 are queued

        // The host's shutdown timeout has already been spent draining requests.
        using var expired = new CancellationTokenSource();
        await expired.CancelAsync();
        await writer.StopAsync(expired.Token);

        Assert.True(store.WriteCancelled); // rolled back, so no record is both written and counted as dropped
        Assert.Equal((0L, 25L, 0L), (writer.Written, writer.Dropped, writer.Held));
        Assert.Contains("Shutdown: 25 record(s) could not be written within the shutdown timeout and are lost (counted as dropped)", logs.Messages);
        Assert.Contains("Record writer stopped: 0 record(s) written, 25 dropped since start", logs.Messages);
        Assert.False(writer.TryWrite(RecordStoreTests.Sample("late", Noon))); // a record after the stop is dropped and counted too
        Assert.Equal(26, writer.Dropped);
        Assert.Contains("Record of request late arrived after the record writer stopped (the request outlived the shutdown timeout): dropped", logs.Messages);
    }

    /// <summary>A store whose writes never finish until cancelled, like a database that hangs.</summary>
    private sealed class BlockingStore : IRecordStore
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task WriteStarted => _started.Task;

        public bool WriteCancelled { get; private set; }

        public string Engine => "sqlite";

        public async Task WriteAsync(IReadOnlyList<RequestRecord> records, Guid batchId, CancellationToken cancellationToken = default)
        {
            _started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                WriteCancelled = true;
                throw;
            }
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
