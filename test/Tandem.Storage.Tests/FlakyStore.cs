using Tandem.Records;

namespace Tandem.Storage.Tests;

/// <summary>A store that fails every write while <see cref="Down"/>, as a database outage would, then delegates.</summary>
internal sealed class FlakyStore(IRecordStore inner) : IRecordStore
{
    private readonly object _lock = new();
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
    private int _failures;

    public volatile bool Down;

    public string Engine => inner.Engine;

    public Task FailedAtLeastAsync(int count)
    {
        lock (_lock)
        {
            if (_failures >= count)
            {
                return Task.CompletedTask;
            }

            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, tcs));
            return tcs.Task;
        }
    }

    public Task WriteAsync(IReadOnlyList<RequestRecord> records, Guid batchId, CancellationToken cancellationToken = default)
    {
        if (Down)
        {
            lock (_lock)
            {
                _failures++;
                foreach (var w in _waiters.Where(w => w.Count <= _failures).ToList())
                {
                    w.Done.TrySetResult();
                    _waiters.Remove(w);
                }
            }

            throw new IOException("database unreachable (simulated)");
        }

        return inner.WriteAsync(records, batchId, cancellationToken);
    }

    public Task MigrateAsync(CancellationToken cancellationToken = default) => inner.MigrateAsync(cancellationToken);

    public Task<bool> PingAsync(CancellationToken cancellationToken = default) => Down ? Task.FromResult(false) : inner.PingAsync(cancellationToken);

    public Task<RequestRecord?> GetAsync(string requestId, CancellationToken cancellationToken = default) => inner.GetAsync(requestId, cancellationToken);

    public Task<long> CountAsync(DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default) => inner.CountAsync(from, to, cancellationToken);

    public Task<UsageQueryResult> QueryUsageAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) => inner.QueryUsageAsync(from, to, cancellationToken);

    public Task<IReadOnlyList<RollupRow>> ReadRollupsAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken = default) => inner.ReadRollupsAsync(from, to, cancellationToken);

    public Task<MaintenanceResult> MaintainAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => inner.MaintainAsync(now, cancellationToken);

    public Task<StorageSize> MeasureAsync(CancellationToken cancellationToken = default) => inner.MeasureAsync(cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
