using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Records;
using Tandem.Telemetry;

namespace Tandem.Storage;

/// <summary>Settings of the <see cref="RecordWriter"/>.</summary>
public sealed record RecordWriterOptions
{
    /// <summary>Most records held in memory (queued plus the batch being retried).</summary>
    public int Capacity { get; init; } = 50_000;

    /// <summary>Most records per batch.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>First retry delay after a failed batch; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan MinRetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest retry delay.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest a stop keeps trying to write what is held (the host's shutdown token may end it sooner). Past it
    /// the write in flight is cancelled and everything still held is counted as dropped and logged.
    /// </summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After a cancelled flush, how long to wait for the write in flight to roll back before giving up on it.</summary>
    public TimeSpan AbortGrace { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Takes records off the request path: <see cref="TryWrite"/> never blocks, it queues (or drops, counted, when
/// <see cref="RecordWriterOptions.Capacity"/> records are already held). A background loop drains the queue in
/// batches; a failed batch is retried with backoff while new records keep queueing within the same bound.
/// Stopping flushes what is held, within a bound; what the bound leaves unwritten is counted as dropped and logged,
/// so that written + dropped always equals the records handed over.
/// </summary>
/// <remarks>
/// <code>
///   TryWrite ─► held &lt; capacity? ─► channel ─► loop: read ≤ batch_size ─► store.WriteAsync ─┬─ ok ─► held -= n
///                  └─ no ─► dropped++ (error log, counter)                                   └─ fail ─► wait, retry same batch
/// </code>
/// The bound counts the batch in flight as well as the queue, so memory stays bounded however long the database is down.
/// </remarks>
public sealed class RecordWriter : BackgroundService, IRecordSink
{
    private readonly IRecordStore _store;
    private readonly RecordWriterOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<RequestRecord> _channel;
    private readonly TandemMetrics _metrics;
    private readonly bool _ownsMetrics;
    private readonly CancellationTokenSource _abort = new();
    private long _held;
    private long _written;
    private long _dropped;
    private long _lastDropLog = long.MinValue;
    private bool _failing;

    /// <summary>Creates a writer over a store.</summary>
    public RecordWriter(IRecordStore store, RecordWriterOptions options, ILogger<RecordWriter> logger, TimeProvider? time = null, TandemMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _channel = Channel.CreateUnbounded<RequestRecord>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        // The host's meter (one per host, so the gauge goes away with it); a meter of its own when used alone.
        _ownsMetrics = metrics is null;
        _metrics = metrics ?? new TandemMetrics();
        _metrics.Meter.CreateObservableGauge("tandem.records.queue_depth", () => Volatile.Read(ref _held), "{record}", "Records held in memory waiting to be written.");
    }

    /// <summary>Records held in memory (queued or in the batch being written).</summary>
    public long Held => Volatile.Read(ref _held);

    /// <summary>Records written since start.</summary>
    public long Written => Volatile.Read(ref _written);

    /// <summary>Records dropped since start (queue full, or lost at shutdown).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Whether the last write attempt failed (the database is unreachable or refusing writes).</summary>
    public bool Failing
    {
        get => Volatile.Read(ref _failing);
        private set => Volatile.Write(ref _failing, value);
    }

    /// <inheritdoc />
    public bool TryWrite(RequestRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (Interlocked.Increment(ref _held) > _options.Capacity)
        {
            Interlocked.Decrement(ref _held);
            Drop(1);
            return false;
        }

        if (!_channel.Writer.TryWrite(record))
        {
            // Stopped: a request that outlived the shutdown bound finished after the final flush.
            Interlocked.Decrement(ref _held);
            Interlocked.Increment(ref _dropped);
            _metrics.RecordsDropped.Add(1);
            StorageLog.DroppedAfterStop(_logger, record.Id);
            return false;
        }

        return true;
    }

    /// <summary>Completes when everything handed over so far has been written or dropped (tests, flush on demand).</summary>
    public async Task WaitUntilIdleAsync(CancellationToken cancellationToken = default)
    {
        while (Volatile.Read(ref _held) > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <code>
    ///   complete the queue ─► loop drains it (retrying failed batches) ─┬─ done ───────────────────────────► log written/dropped
    ///                                                                   └─ token or FlushTimeout expires ─► cancel the write in flight
    ///                                                                        ─► wait AbortGrace for its rollback ─► held → dropped, logged
    /// </code>
    /// Cancelling the write rolls its transaction back, so no record is both written and counted as dropped.
    /// </remarks>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // No more records after this point: the loop drains what is queued and exits.
        _channel.Writer.TryComplete();
        var loop = ExecuteTask ?? Task.CompletedTask;
        using (var flush = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            flush.CancelAfter(_options.FlushTimeout);
            try
            {
                await loop.WaitAsync(flush.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _abort.CancelAsync().ConfigureAwait(false);
        using (var grace = new CancellationTokenSource(_options.AbortGrace, _time))
        {
            await base.StopAsync(grace.Token).ConfigureAwait(false);
        }

        var lost = Interlocked.Exchange(ref _held, 0);
        if (lost > 0)
        {
            Drop(lost, atShutdown: true);
        }

        StorageLog.WriterStopped(_logger, Written, Dropped);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        if (_ownsMetrics)
        {
            _metrics.Dispose();
        }

        _abort.Dispose();
        base.Dispose();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<RequestRecord>(_options.BatchSize);
        var reader = _channel.Reader;
        while (true)
        {
            try
            {
                if (!await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
                {
                    return; // completed and drained
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            while (batch.Count < _options.BatchSize && reader.TryRead(out var record))
            {
                batch.Add(record);
            }

            if (!await WriteWithRetryAsync(batch, stoppingToken).ConfigureAwait(false))
            {
                return; // stopping while the database is down; StopAsync counts what is still held
            }

            Interlocked.Add(ref _held, -batch.Count);
            batch.Clear();
        }
    }

    private async Task<bool> WriteWithRetryAsync(List<RequestRecord> batch, CancellationToken stoppingToken)
    {
        var id = Guid.CreateVersion7();
        var failures = 0;
        var delay = _options.MinRetryDelay;
        while (true)
        {
            try
            {
                // Not cancelled by the stop signal, so that the final flush can complete; StopAsync cancels _abort
                // when its bound expires.
                await _store.WriteAsync(batch, id, _abort.Token).ConfigureAwait(false);
                Interlocked.Add(ref _written, batch.Count);
                _metrics.RecordsWritten.Add(batch.Count);
                if (failures > 0)
                {
                    Failing = false;
                    StorageLog.StorageRecovered(_logger, _store.Engine, failures);
                }

                return true;
            }
            catch (Exception) when (_abort.IsCancellationRequested)
            {
                return false; // the stop's bound expired: StopAsync counts what is still held
            }
            catch (Exception e)
            {
                failures++;
                Failing = true;
                _metrics.RecordBatchFailures.Add(1);
                if (failures == 1 || (failures & (failures - 1)) == 0)
                {
                    // Logged on the 1st, 2nd, 4th, 8th… failure: visible without flooding the log during an outage.
                    StorageLog.BatchFailed(_logger, batch.Count, _store.Engine, failures, (long)delay.TotalMilliseconds, e.GetType().Name + ": " + e.Message);
                }
            }

            try
            {
                // While flushing at shutdown the stop signal has not fired yet: retries go on until _abort.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _abort.Token);
                await Task.Delay(delay, _time, wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
        }
    }

    private void Drop(long count, bool atShutdown = false)
    {
        var total = Interlocked.Add(ref _dropped, count);
        _metrics.RecordsDropped.Add(count);
        if (atShutdown)
        {
            StorageLog.FlushIncomplete(_logger, count);
            return;
        }

        // One error line per second at most while dropping.
        var now = _time.GetTimestamp();
        var last = Volatile.Read(ref _lastDropLog);
        if ((last == long.MinValue || _time.GetElapsedTime(last, now) >= TimeSpan.FromSeconds(1)) && Interlocked.CompareExchange(ref _lastDropLog, now, last) == last)
        {
            StorageLog.RecordsDropped(_logger, _options.Capacity, total);
        }
    }
}
