using Microsoft.Extensions.Logging;
using Tandem.Adapters;
using Tandem.Configuration;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Server.Telemetry;

namespace Tandem.Server.Configuration;

/// <summary>
/// Holds the current <see cref="GatewaySnapshot"/> and reloads it when the configuration file changes. An invalid
/// edit keeps the last good snapshot and records why; in-flight requests finish on the snapshot they started with.
/// </summary>
public sealed class GatewayState : IDisposable
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly RuntimeServices _services;
    private readonly PolledFileWatch? _watcher;
    private readonly ModelFileWatch? _modelWatch;
    private readonly SemaphoreSlim _reloadLock = new(1, 1);
    private readonly object _debounceLock = new();
    private ITimer? _debounce;
    private volatile GatewaySnapshot _current;
    private IReadOnlyList<AdapterRegistration> _adapters;
    private TaskCompletionSource<ReloadOutcome> _nextReload = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The result of one reload attempt.</summary>
    /// <param name="Succeeded">Whether the new configuration was taken.</param>
    /// <param name="Version">The version in force afterwards.</param>
    /// <param name="Errors">Why the edit was refused, when it was.</param>
    public sealed record ReloadOutcome(bool Succeeded, long Version, IReadOnlyList<string> Errors);

    /// <summary>
    /// Loads <paramref name="path"/> (throws <see cref="ConfigException"/> when invalid) with the deployments of
    /// <paramref name="adapters"/> added, and, when <paramref name="watch"/>, watches it.
    /// </summary>
    public GatewayState(string path, ILogger logger, TimeProvider? time = null, bool watch = true, RuntimeServices? services = null, IReadOnlyList<AdapterRegistration>? adapters = null)
    {
        _adapters = adapters ?? [];
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(logger);
        Path = System.IO.Path.GetFullPath(path);
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _services = (services ?? RuntimeServices.Default) with { Time = _time };
        var config = Load(_adapters);
        if (config.Server.RandomSeed is { } seed && ReferenceEquals(_services.Random, RandomSource.Shared))
        {
            // A source given in code wins; otherwise the configured seed makes sampled decisions reproducible.
            _services = _services with { Random = RandomSource.Seeded(seed) };
        }

        _current = GatewaySnapshot.Build(config, null, _services);
        LoadedAt = _time.GetUtcNow();
        Log.ConfigLoaded(_logger, Path, _current.Version, config.Providers.Count, config.Deployments.Count, config.Routes.Count);
        if (config.Auth.Disabled)
        {
            Log.AuthDisabled(_logger);
        }

        LogWarnings(config);

        if (watch)
        {
            _watcher = new PolledFileWatch(Path, ScheduleReload);
            _modelWatch = new ModelFileWatch(ScheduleReload);
            _modelWatch.Track(config);
        }
    }

    /// <summary>The configuration file.</summary>
    public string Path { get; }

    /// <summary>The snapshot in force.</summary>
    public GatewaySnapshot Current => _current;

    /// <summary>When the snapshot in force was loaded.</summary>
    public DateTimeOffset LoadedAt { get; private set; }

    /// <summary>Why the last reload was refused, or null when it succeeded.</summary>
    public IReadOnlyList<string>? LastReloadErrors { get; private set; }

    /// <summary>The registered adapters; the snapshot holds a deployment for each whose base deployment is configured.</summary>
    public IReadOnlyList<AdapterRegistration> Adapters => Volatile.Read(ref _adapters);

    /// <summary>Completes with the outcome of the next reload attempt (for tests and the admin API).</summary>
    public Task<ReloadOutcome> NextReloadAsync() => Volatile.Read(ref _nextReload).Task;

    /// <summary>Reloads now. Returns the outcome; never throws for an invalid file.</summary>
    public Task<ReloadOutcome> ReloadAsync() => ReloadAsync(null);

    /// <summary>
    /// Rebuilds the snapshot with <paramref name="adapters"/> as the registered adapters. Refused, keeping the
    /// adapters and snapshot in force, when the configuration is invalid with them (a route naming an adapter's
    /// deployment that would be gone).
    /// </summary>
    public Task<ReloadOutcome> SetAdaptersAsync(IReadOnlyList<AdapterRegistration> adapters)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        return ReloadAsync(adapters);
    }

    private TandemConfig Load(IReadOnlyList<AdapterRegistration> adapters) =>
        ConfigLoader.LoadFile(Path, ConfigUse.Gateway, _services.Adapters.Types, c => AdapterDeployments.Extend(c, adapters));

    private async Task<ReloadOutcome> ReloadAsync(IReadOnlyList<AdapterRegistration>? adapters)
    {
        await _reloadLock.WaitAsync().ConfigureAwait(false);
        ReloadOutcome outcome;
        try
        {
            var previous = _current;
            try
            {
                var config = Load(adapters ?? _adapters);
                var next = GatewaySnapshot.Build(config, previous);
                _current = next;
                Volatile.Write(ref _adapters, adapters ?? _adapters);
                LoadedAt = _time.GetUtcNow();
                LastReloadErrors = null;
                _modelWatch?.Track(config);
                RetireLater(previous.ProvidersRetiredBy(next).ToList(), previous);
                Log.ConfigReloaded(_logger, Path, next.Version);
                LogWarnings(config);
                outcome = new ReloadOutcome(true, next.Version, []);
            }
            catch (ConfigException e)
            {
                LastReloadErrors = e.Errors;
                Log.ConfigReloadFailed(_logger, Path, previous.Version, string.Join("; ", e.Errors));
                outcome = new ReloadOutcome(false, previous.Version, e.Errors);
            }
        }
        finally
        {
            _reloadLock.Release();
        }

        Interlocked.Exchange(ref _nextReload, new TaskCompletionSource<ReloadOutcome>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(outcome);
        return outcome;
    }

    private void LogWarnings(TandemConfig config)
    {
        foreach (var warning in ConfigValidator.Warnings(config))
        {
            Log.ConfigWarning(_logger, Path, warning);
        }
    }

    private void ScheduleReload()
    {
        // Editors write a file in several steps; wait for them to settle.
        lock (_debounceLock)
        {
            _debounce?.Dispose();
            _debounce = _time.CreateTimer(static s => _ = ((GatewayState)s!).ReloadAsync(), this, TimeSpan.FromMilliseconds(200), Timeout.InfiniteTimeSpan);
        }
    }

    private void RetireLater(List<ProviderRuntime> retired, GatewaySnapshot previous)
    {
        if (retired.Count == 0)
        {
            return;
        }

        // Requests that started on the old snapshot may still use these connection pools: dispose them only
        // after the longest request they could be serving has had time to end.
        var wait = retired.Max(p => p.TotalTimeout) + TimeSpan.FromSeconds(5);
        _ = Task.Delay(wait, _time).ContinueWith(_ =>
        {
            foreach (var p in retired)
            {
                p.Dispose();
            }

            GC.KeepAlive(previous);
        }, TaskScheduler.Default);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _watcher?.Dispose();
        _modelWatch?.Dispose();
        lock (_debounceLock)
        {
            _debounce?.Dispose();
        }

        foreach (var p in _current.Providers.Values)
        {
            p.Dispose();
        }

        _reloadLock.Dispose();
    }
}
