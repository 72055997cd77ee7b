using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Access;
using Tandem.Configuration;
using Tandem.Migration;
using Tandem.Server.Configuration;
using Tandem.Server.Hosting;
using Tandem.Storage;
using Tandem.Telemetry;

namespace Tandem.Server.Access;

/// <summary>
/// Keeps this instance consistent with the others on one database, by polling every <c>server.sync_interval</c>
/// (2 s by default):
/// <code>
///   read change counters (one query)
///     keys moved?    --> re-read active keys into the VirtualKeyTable (creation, rotation, revocation)
///     config moved?  --> reload the configuration file (another instance took POST /admin/reload)
///   re-read migration states (one query) --> the request path serves the stage another instance set
/// </code>
/// So a change made on one instance is in force on every other one within one interval plus the poll's own query
/// time. The instance that made a change applies it at once. Polling rather than PostgreSQL LISTEN/NOTIFY: it works
/// the same on SQLite and PostgreSQL, needs no dedicated connection, and survives the database going away and
/// coming back without a resubscription step; at 2 s it costs two small queries per instance per interval.
/// </summary>
internal sealed partial class ClusterSync : BackgroundService
{
    private readonly IChangeSignals _signals;
    private readonly IKeyStore _keys;
    private readonly VirtualKeyTable _table;
    private readonly GatewayState _state;
    private readonly MigrationCoordinator _migrations;
    private readonly StorageHealth _storage;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterSync> _logger;
    private readonly Lock _gate = new();
    private readonly List<(long Pass, TaskCompletionSource Done)> _waiters = [];
    private long _passes;
    private long? _keysVersion;
    private long? _configVersion;

    public ClusterSync(IChangeSignals signals, IKeyStore keys, VirtualKeyTable table, GatewayState state, MigrationCoordinator migrations,
        StorageHealth storage, TimeProvider time, ILogger<ClusterSync> logger)
    {
        _signals = signals;
        _keys = keys;
        _table = table;
        _state = state;
        _migrations = migrations;
        _storage = storage;
        _time = time;
        _logger = logger;
        Interval = ConfigValidator.TryParseSyncInterval(state.Current.Config.Server.SyncInterval, out var interval) ? interval : TimeSpan.FromSeconds(2);
    }

    /// <summary>The polling interval: the bound on how long this instance may lag behind another one.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Completed polls.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Completes when at least <paramref name="pass"/> polls have completed (tests: advance a fake clock by <see cref="Interval"/>, then wait).</summary>
    public Task WaitForPassAsync(long pass)
    {
        lock (_gate)
        {
            if (_passes >= pass)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((pass, done));
            return done.Task;
        }
    }

    /// <summary>Tells the other instances that this one reloaded its configuration (they reload theirs within one interval).</summary>
    public async Task AnnounceConfigReloadAsync(CancellationToken cancellationToken)
    {
        long version;
        try
        {
            version = await _signals.BumpAsync(ChangeSignalNames.Config, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (StorageErrors.IsUnavailable(e))
        {
            // The reload here stands; the others keep their configuration until their own reload.
            LogSyncFailed(_logger, e.GetType().Name + ": " + e.Message);
            return;
        }

        lock (_gate)
        {
            // This instance has already reloaded: it must not reload again for its own announcement.
            _configVersion = Math.Max(_configVersion ?? 0, version);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _storage.WhenMigrated.WaitAsync(stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                await SyncOnceAsync(stoppingToken).ConfigureAwait(false);
                // The next wait is armed before the pass is announced, so that a test advancing a fake clock right
                // after the announcement always fires it.
                var next = Task.Delay(Interval, _time, stoppingToken);
                CompletePass();
                await next.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One poll; failures are logged and retried at the next interval (serving goes on with what is held).</summary>
    internal async Task SyncOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            var signals = await _signals.ReadAsync(cancellationToken).ConfigureAwait(false);
            var keys = signals.GetValueOrDefault(ChangeSignalNames.Keys);
            if (_keysVersion != keys || !_table.Loaded)
            {
                var mark = _table.BeginRead();
                var active = await _keys.ListAsync(includeRevoked: false, cancellationToken).ConfigureAwait(false);
                _table.Load(active, mark);
                if (_keysVersion is not null)
                {
                    LogKeysRefreshed(_logger, _table.Count, keys);
                }

                _keysVersion = keys;
            }

            var config = signals.GetValueOrDefault(ChangeSignalNames.Config);
            bool reload;
            lock (_gate)
            {
                reload = _configVersion is { } seen && config > seen;
                _configVersion = Math.Max(_configVersion ?? 0, config);
            }

            if (reload)
            {
                var outcome = await _state.ReloadAsync().ConfigureAwait(false);
                LogConfigReloadedByPeer(_logger, outcome.Succeeded, outcome.Version);
            }

            await _migrations.SyncWithConfigAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (StorageErrors.IsUnavailable(e))
        {
            LogSyncFailed(_logger, e.GetType().Name + ": " + e.Message);
        }
    }

    private void CompletePass()
    {
        List<TaskCompletionSource> done;
        lock (_gate)
        {
            var pass = ++_passes;
            done = [.. _waiters.Where(w => w.Pass <= pass).Select(w => w.Done)];
            _waiters.RemoveAll(w => w.Pass <= pass);
        }

        foreach (var d in done)
        {
            d.TrySetResult();
        }
    }

    [LoggerMessage(EventIds.KeysRefreshed, LogLevel.Information, "Virtual keys changed on another instance: {Count} active key(s) now (change {Version})")]
    private static partial void LogKeysRefreshed(ILogger logger, int count, long version);

    [LoggerMessage(EventIds.SyncFailed, LogLevel.Warning, "Could not read changes made by other instances (retrying next interval): {Reason}")]
    private static partial void LogSyncFailed(ILogger logger, string reason);

    [LoggerMessage(EventIds.ConfigReloadedByPeer, LogLevel.Information, "Another instance reloaded the configuration; reloaded here too (succeeded: {Succeeded}, version {Version})")]
    private static partial void LogConfigReloadedByPeer(ILogger logger, bool succeeded, long version);
}
