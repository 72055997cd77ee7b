using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Configuration;
using Tandem.Migration;
using Tandem.Telemetry;
using Tandem.Server.Configuration;
using Tandem.Storage;

namespace Tandem.Server.Hosting;

/// <summary>
/// Starts the migration coordinator (resuming stored stages), evaluates gates on each route's
/// <c>evaluate_every</c>, and drains shadow calls on shutdown.
/// </summary>
/// <remarks>
/// The gateway starts and serves while its database is down. Until the stored stages have been
/// read, routes serve as configured, without migration; the coordinator is started in the background as soon as the
/// schema is in place (<see cref="StorageHealth.WhenMigrated"/>), retried with backoff while reading fails.
/// </remarks>
internal sealed partial class MigrationService : BackgroundService
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);
    private readonly MigrationCoordinator _migrations;
    private readonly GatewayState _state;
    private readonly StorageHealth _storage;
    private readonly TimeProvider _time;
    private readonly ILogger<MigrationService> _logger;

    public MigrationService(MigrationCoordinator migrations, GatewayState state, StorageHealth storage, TimeProvider time, ILogger<MigrationService> logger)
    {
        _migrations = migrations;
        _state = state;
        _storage = storage;
        _time = time;
        _logger = logger;
    }

    /// <summary>Whether the coordinator has read the stored stages.</summary>
    public bool Started { get; private set; }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_storage.Migrated)
        {
            await TryStartCoordinatorAsync(cancellationToken).ConfigureAwait(false);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await StartCoordinatorInBackgroundAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var every = _state.Current.Routes.Values
                .Select(r => r.Config.Migration is { } m && ConfigLoader.TryParseDuration(m.EvaluateEvery, out var d) ? d : TimeSpan.FromSeconds(30))
                .DefaultIfEmpty(TimeSpan.FromSeconds(30))
                .Min();
            try
            {
                await Task.Delay(every, _time, stoppingToken).ConfigureAwait(false);
                await _migrations.EvaluateAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The store may be down: serving goes on, and the next tick tries again.
                LogEvaluationFailed(_logger, e);
            }
        }
    }

    private async Task StartCoordinatorInBackgroundAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!Started)
        {
            await _storage.WhenMigrated.WaitAsync(stoppingToken).ConfigureAwait(false);
            if (await TryStartCoordinatorAsync(stoppingToken).ConfigureAwait(false))
            {
                return;
            }

            await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    /// <summary>Reads the stored stages (creating declared migrations); false, logged, when the database cannot be used.</summary>
    private async Task<bool> TryStartCoordinatorAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _migrations.StartAsync(cancellationToken).ConfigureAwait(false);
            if (Started)
            {
                return true;
            }

            Started = true;
            LogStarted(_logger, _migrations.States.Count);
            return true;
        }
        catch (Exception e) when (StorageErrors.IsUnavailable(e))
        {
            LogStartFailed(_logger, e.GetType().Name + ": " + e.Message);
            return false;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await _migrations.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(EventIds.MigrationStateUnreadable, LogLevel.Warning, "Migration state is not readable yet; routes serve as configured, without migration, until it is (retrying): {Reason}")]
    private static partial void LogStartFailed(ILogger logger, string reason);

    [LoggerMessage(EventIds.MigrationStateRead, LogLevel.Information, "Migration state read: {Count} migration(s) resumed")]
    private static partial void LogStarted(ILogger logger, int count);

    [LoggerMessage(EventIds.EvaluationFailed, LogLevel.Error, "Migration gate evaluation failed")]
    private static partial void LogEvaluationFailed(ILogger logger, Exception exception);
}
