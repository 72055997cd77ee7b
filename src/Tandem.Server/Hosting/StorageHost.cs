using Tandem.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Costs;
using Tandem.Server.Configuration;
using Tandem.Storage;

namespace Tandem.Server.Hosting;

/// <summary>
/// Runs the database's life in the host: schema migrations at start (retried in the background while the database is
/// unreachable or its file unusable, so that the gateway serves anyway), the writer's loop, and its final flush in
/// <see cref="StoppedAsync"/>, after the web server has drained its in-flight requests and their records (both within
/// <c>server.shutdown_timeout</c>).
/// </summary>
internal sealed class StorageHost : IHostedLifecycleService, IDisposable
{
    private readonly StorageDatabase _database;
    private readonly RecordWriter _writer;
    private readonly StorageHealth _health;
    private readonly ILogger _logger;
    private readonly GatewayState _state;
    private readonly CancellationTokenSource _stopping = new();
    private Task _migrating = Task.CompletedTask;
    private Task _watching = Task.CompletedTask;

    public StorageHost(StorageDatabase database, RecordWriter writer, StorageHealth health, GatewayState state, ILogger<StorageHost> logger)
    {
        _database = database;
        _writer = writer;
        _health = health;
        _state = state;
        _logger = logger;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!await TryMigrateAsync(cancellationToken).ConfigureAwait(false))
        {
            _migrating = MigrateInBackgroundAsync(_stopping.Token);
        }

        await _writer.StartAsync(cancellationToken).ConfigureAwait(false);
        _watching = WatchStorageSettingsAsync(_stopping.Token);

        // Where estimates are expected (a deployment with usage: estimate), load the tokenizer vocabulary now rather
        // than on the first request that needs one. Otherwise it loads on first use: the o200k vocabulary costs tens
        // of MB of resident memory that a gateway whose upstreams all report usage never needs.
        if (_state.Current.Config.Deployments.Any(d => d.Usage == UsageModes.Estimate))
        {
            _ = Task.Run(static () => TokenCounter.For("o200k", null).CountTokens("warm up"), CancellationToken.None);
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // The writer keeps accepting records while the server drains; the flush happens once it has stopped.
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _writer.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_migrating, _watching).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    // The store and the writer are container singletons: the container disposes them.
    public void Dispose() => _stopping.Dispose();

    private async Task<bool> TryMigrateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            _health.SetMigrated();
            StorageLog.StorageOpened(_logger, _database.Engine, _database.Where);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            StorageLog.StorageUnusable(_logger, _database.Engine, e.GetType().Name + ": " + e.Message);
            return false;
        }
    }

    /// <summary>Storage settings are read once; say so when a reload changes them.</summary>
    private async Task WatchStorageSettingsAsync(CancellationToken cancellationToken)
    {
        var initial = _state.Current.Config.Storage;
        while (!cancellationToken.IsCancellationRequested)
        {
            var outcome = await _state.NextReloadAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            if (outcome.Succeeded && _state.Current.Config.Storage != initial)
            {
                StorageLog.StorageSettingsChanged(_logger);
            }
        }
    }

    private async Task MigrateInBackgroundAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            if (await TryMigrateAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30));
        }
    }
}

/// <summary>Storage reachability for <c>/readyz</c>, and the moment the schema is in place (for the migration service).</summary>
internal sealed class StorageHealth(StorageDatabase database, RecordWriter writer)
{
    private readonly TaskCompletionSource _migrated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Migrated => _migrated.Task.IsCompleted;

    /// <summary>Completes once the schema migrations have been applied (at start, or after the database came back).</summary>
    public Task WhenMigrated => _migrated.Task;

    public RecordWriter Writer => writer;

    public void SetMigrated() => _migrated.TrySetResult();

    /// <summary>Whether the database answers within two seconds and the schema is in place.</summary>
    public async Task<bool> IsReachableAsync(CancellationToken cancellationToken)
    {
        if (!Migrated)
        {
            return false;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            return await database.PingAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
