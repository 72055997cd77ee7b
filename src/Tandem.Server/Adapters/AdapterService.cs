using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Server.Hosting;
using Tandem.Storage;
using Tandem.Telemetry;

namespace Tandem.Server.Adapters;

/// <summary>
/// Keeps registered adapters in the snapshot and on the replicas: reads them once the schema is in place (the
/// gateway may have started with the database down), then every <see cref="Every"/> re-reads them (another instance
/// may have registered one) and loads them onto replicas whose <c>/models</c> lacks them.
/// </summary>
internal sealed partial class AdapterService : BackgroundService
{
    /// <summary>How often replicas are checked: a restarted replica serves its adapters again within this.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(15);

    private readonly AdapterKeeper _keeper;
    private readonly StorageHealth _storage;
    private readonly TimeProvider _time;
    private readonly ILogger<AdapterService> _logger;

    public AdapterService(AdapterKeeper keeper, StorageHealth storage, TimeProvider time, ILogger<AdapterService> logger)
    {
        _keeper = keeper;
        _storage = storage;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _storage.WhenMigrated.WaitAsync(stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await _keeper.RefreshAsync(stoppingToken).ConfigureAwait(false);
                    await _keeper.SyncAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (StorageErrors.IsUnavailable(e))
                {
                    LogUnreadable(_logger, e.Message);
                }

                await Task.Delay(Every, _time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventIds.AdaptersUnreadable, LogLevel.Warning, "Registered adapters are not readable yet (retrying): {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string reason);
}
