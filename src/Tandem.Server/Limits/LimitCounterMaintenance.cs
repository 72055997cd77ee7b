using Microsoft.Extensions.Hosting;
using Tandem.Storage.Limits;

namespace Tandem.Server.Limits;

/// <summary>
/// Deletes database counters whose windows ended more than a day ago, every ten minutes. Redis counters expire by
/// themselves. Any instance may do it: the delete is idempotent.
/// </summary>
internal sealed class LimitCounterMaintenance : BackgroundService
{
    private readonly SqlLimitCounterStore _store;
    private readonly TimeProvider _time;

    public LimitCounterMaintenance(SqlLimitCounterStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await _store.DeleteExpiredAsync(_time.GetUtcNow(), stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The database is down or busy: the next tick tries again; stale rows only take space.
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
