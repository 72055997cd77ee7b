using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Tandem.Storage;

/// <summary>Rolls up complete days and applies retention (records, roll-ups, shadow samples, gate evaluations) at start-up and then every hour.</summary>
public sealed class RecordMaintenanceService : BackgroundService
{
    private readonly IRecordStore _store;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;

    /// <summary>Creates the service.</summary>
    public RecordMaintenanceService(IRecordStore store, ILogger<RecordMaintenanceService> logger, TimeProvider? time = null, TimeSpan? interval = null)
    {
        _store = store;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _interval = interval ?? TimeSpan.FromHours(1);
    }

    /// <summary>Runs one pass now.</summary>
    public async Task<MaintenanceResult?> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var result = await _store.MaintainAsync(_time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            if (result.DaysRolledUp > 0 || result.RecordsDeleted > 0 || result.RollupsDeleted > 0 || result.SamplesDeleted > 0 || result.EvaluationsDeleted > 0)
            {
                StorageLog.Maintenance(_logger, result.DaysRolledUp, result.RecordsDeleted, result.RollupsDeleted, result.SamplesDeleted, result.EvaluationsDeleted);
            }

            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            StorageLog.MaintenanceFailed(_logger, e.GetType().Name + ": " + e.Message);
            return null;
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        do
        {
            await RunOnceAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
