using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Tandem.Adapters;
using Tandem.Configuration;
using Tandem.Migration;
using Tandem.Runtime;
using Tandem.Server.Configuration;
using Tandem.Telemetry;
using Tandem.Upstream;

namespace Tandem.Server.Adapters;

/// <summary>Why a registration or unregistration was refused: the HTTP status, the field and a message.</summary>
internal sealed class AdapterException(int status, string? param, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string? Param { get; } = param;

    public string Code { get; } = code;
}

/// <summary>Where one adapter is loaded: per replica of its base deployment's provider, as last seen.</summary>
internal sealed record AdapterPlacement(string Endpoint, bool Loaded, string? Error, DateTimeOffset CheckedAt);

/// <summary>
/// Registers LoRA adapters (load onto every replica of the base deployment's provider, confirm in <c>/models</c>,
/// persist, add the deployment to the snapshot), unregisters them, and keeps them loaded: a replica that restarted
/// has lost its runtime-loaded adapters, so <see cref="SyncAsync"/> loads whatever a replica's <c>/models</c> lacks.
/// </summary>
internal sealed partial class AdapterKeeper
{
    private readonly GatewayState _state;
    private readonly IAdapterStore _store;
    private readonly IMigrationStore _migrations;
    private readonly TimeProvider _time;
    private readonly ILogger<AdapterKeeper> _logger;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly ConcurrentDictionary<(string Adapter, string Endpoint), AdapterPlacement> _placements = new();

    public AdapterKeeper(GatewayState state, IAdapterStore store, IMigrationStore migrations, TimeProvider time, ILogger<AdapterKeeper> logger)
    {
        _state = state;
        _store = store;
        _migrations = migrations;
        _time = time;
        _logger = logger;
    }

    /// <summary>Where each adapter was last seen loaded.</summary>
    public IReadOnlyList<AdapterPlacement> PlacementsOf(string adapter) =>
        _placements.Where(p => p.Key.Adapter == adapter).Select(p => p.Value).OrderBy(p => p.Endpoint, StringComparer.Ordinal).ToList();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    /// <summary>Reads the registered adapters into the snapshot (start-up, and after another instance changed them).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        // Under the lock: a registration in progress saves first and changes the snapshot second.
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stored = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
            if (!stored.SequenceEqual(_state.Adapters))
            {
                var outcome = await _state.SetAdaptersAsync(stored).ConfigureAwait(false);
                if (!outcome.Succeeded)
                {
                    LogLoadFailed(_logger, "(registered adapters)", _state.Path, string.Join("; ", outcome.Errors));
                }
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<AdapterRegistration> RegisterAsync(AdapterRegistration adapter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        if (!NamePattern().IsMatch(adapter.Name))
        {
            throw new AdapterException(400, "name", "invalid_value", $"'{adapter.Name}' is not an adapter name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }

        if (string.IsNullOrWhiteSpace(adapter.Path))
        {
            throw new AdapterException(400, "path", "missing_required_parameter", "'path' is required: the PEFT adapter directory as the provider's server sees it.");
        }

        var snapshot = _state.Current;
        if (!snapshot.Deployments.TryGetValue(adapter.Base, out var baseDeployment) || _state.Adapters.Any(a => a.Deployment == adapter.Base))
        {
            throw new AdapterException(404, "base", "deployment_not_found", $"'{adapter.Base}' is not a configured deployment.");
        }

        if (baseDeployment.Provider.Config.Type != ProviderTypes.OpenAI)
        {
            throw new AdapterException(400, "base", "unsupported_provider",
                $"'{adapter.Base}' is on provider '{baseDeployment.Provider.Name}' of type {baseDeployment.Provider.Config.Type}; adapters are loaded through vLLM's runtime LoRA API on an OpenAI-compatible provider.");
        }

        if (snapshot.Deployments.ContainsKey(adapter.Deployment) && !_state.Adapters.Any(a => a.Name == adapter.Name && a.Base == adapter.Base))
        {
            throw new AdapterException(409, "name", "deployment_exists", $"A deployment named '{adapter.Deployment}' is already configured.");
        }

        var existing = _state.Adapters.FirstOrDefault(a => a.Name == adapter.Name);
        if (existing is not null && (existing.Base != adapter.Base || existing.Path != adapter.Path))
        {
            // A name is a version: vLLM keeps serving the weights first loaded under it, so new weights need a new name.
            throw new AdapterException(409, "name", "adapter_exists",
                $"Adapter '{adapter.Name}' is registered on '{existing.Base}' from '{existing.Path}'; register new weights under a new name (a version), or unregister it first.");
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var provider = baseDeployment.Provider;
            var done = new List<UpstreamEndpoint>();
            foreach (var endpoint in provider.Endpoints)
            {
                var loaded = await LoadAndConfirmAsync(provider, endpoint, adapter, cancellationToken).ConfigureAwait(false);
                if (!loaded.Succeeded)
                {
                    // All replicas or none: a half-registered adapter would serve from some replicas only.
                    foreach (var e in existing is null ? done : [])
                    {
                        await LoraRuntimeClient.UnloadAsync(provider, e, adapter.Name, cancellationToken).ConfigureAwait(false);
                        _placements.TryRemove((adapter.Name, e.BaseUrl), out _);
                    }

                    _placements.TryRemove((adapter.Name, endpoint.BaseUrl), out _);
                    throw new AdapterException(502, "path", "adapter_load_failed", $"{endpoint.BaseUrl} did not load '{adapter.Name}' from '{adapter.Path}': {loaded.Message}");
                }

                done.Add(endpoint);
            }

            var registered = adapter with { RegisteredAt = _time.GetUtcNow() };
            await _store.SaveAsync(registered, cancellationToken).ConfigureAwait(false);
            var outcome = await _state.SetAdaptersAsync([.. _state.Adapters.Where(a => a.Name != adapter.Name), registered]).ConfigureAwait(false);
            if (!outcome.Succeeded)
            {
                throw new AdapterException(422, null, "invalid_configuration", "The configuration is invalid with this adapter: " + string.Join("; ", outcome.Errors));
            }

            return registered;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task UnregisterAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var adapter = _state.Adapters.FirstOrDefault(a => a.Name == name)
            ?? throw new AdapterException(404, "name", "adapter_not_found", $"No adapter '{name}' is registered.");
        var usedBy = await RoutesUsingAsync(adapter.Deployment, cancellationToken).ConfigureAwait(false);
        if (usedBy.Count > 0)
        {
            throw new AdapterException(409, "name", "adapter_in_use",
                $"'{adapter.Deployment}' still serves route(s) {string.Join(", ", usedBy)}: roll the migration back (or change the route) before unregistering it.");
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var outcome = await _state.SetAdaptersAsync([.. _state.Adapters.Where(a => a.Name != name)]).ConfigureAwait(false);
            if (!outcome.Succeeded)
            {
                throw new AdapterException(409, "name", "adapter_in_use", "The configuration names this adapter's deployment: " + string.Join("; ", outcome.Errors));
            }

            await _store.RemoveAsync(name, cancellationToken).ConfigureAwait(false);
            if (_state.Current.Deployments.TryGetValue(adapter.Base, out var baseDeployment))
            {
                foreach (var endpoint in baseDeployment.Provider.Endpoints)
                {
                    var unloaded = await LoraRuntimeClient.UnloadAsync(baseDeployment.Provider, endpoint, name, cancellationToken).ConfigureAwait(false);
                    if (!unloaded.Succeeded)
                    {
                        // Unregistered either way: a replica that cannot be reached now drops the adapter when it restarts.
                        LogLoadFailed(_logger, name, endpoint.BaseUrl, "unload: " + unloaded.Message);
                    }

                    _placements.TryRemove((name, endpoint.BaseUrl), out _);
                }
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Routes on which <paramref name="deployment"/> serves: configured, or a migration's candidate not rolled back.</summary>
    public async Task<IReadOnlyList<string>> RoutesUsingAsync(string deployment, CancellationToken cancellationToken = default)
    {
        var routes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var r in _state.Current.Routes.Values)
        {
            if (r.Policy.Incumbent.Name == deployment || r.Config.Deployment == deployment)
            {
                routes.Add(r.Name);
            }
        }

        foreach (var m in await _migrations.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if ((m.Candidate == deployment && m.Stage != MigrationStage.RolledBack) || (m.Incumbent == deployment && m.Stage != MigrationStage.Full))
            {
                routes.Add(m.Route);
            }
        }

        return [.. routes];
    }

    /// <summary>Loads every registered adapter onto each replica whose <c>/models</c> does not list it (a replica that restarted).</summary>
    public async Task<int> SyncAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var reloaded = 0;
            var snapshot = _state.Current;
            foreach (var group in _state.Adapters.GroupBy(a => a.Base, StringComparer.Ordinal))
            {
                if (!snapshot.Deployments.TryGetValue(group.Key, out var baseDeployment))
                {
                    continue;
                }

                var provider = baseDeployment.Provider;
                foreach (var endpoint in provider.Endpoints)
                {
                    var models = await LoraRuntimeClient.ModelsAsync(provider, endpoint, cancellationToken).ConfigureAwait(false);
                    foreach (var adapter in group)
                    {
                        if (models is null)
                        {
                            Place(adapter, endpoint, false, "the replica does not answer /models");
                            continue;
                        }

                        if (models.Contains(adapter.Name))
                        {
                            Place(adapter, endpoint, true, null);
                            continue;
                        }

                        var loaded = await LoadAndConfirmAsync(provider, endpoint, adapter, cancellationToken).ConfigureAwait(false);
                        if (loaded.Succeeded)
                        {
                            reloaded++;
                            LogReloaded(_logger, adapter.Name, endpoint.BaseUrl);
                        }
                        else
                        {
                            LogLoadFailed(_logger, adapter.Name, endpoint.BaseUrl, loaded.Message);
                        }
                    }
                }
            }

            return reloaded;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<LoraCallResult> LoadAndConfirmAsync(ProviderRuntime provider, UpstreamEndpoint endpoint, AdapterRegistration adapter, CancellationToken cancellationToken)
    {
        var result = await LoraRuntimeClient.LoadAsync(provider, endpoint, adapter.Name, adapter.Path, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            // Confirmed only when the replica lists it: a load that "succeeded" but serves nothing is a failure.
            var models = await LoraRuntimeClient.ModelsAsync(provider, endpoint, cancellationToken).ConfigureAwait(false);
            if (models is null || !models.Contains(adapter.Name))
            {
                result = new LoraCallResult(false, result.Status, $"loaded, but {endpoint.BaseUrl}/models does not list '{adapter.Name}'");
            }
        }

        Place(adapter, endpoint, result.Succeeded, result.Succeeded ? null : result.Message);
        return result;
    }

    private void Place(AdapterRegistration adapter, UpstreamEndpoint endpoint, bool loaded, string? error) =>
        _placements[(adapter.Name, endpoint.BaseUrl)] = new AdapterPlacement(endpoint.BaseUrl, loaded, error, _time.GetUtcNow());

    [LoggerMessage(EventIds.AdapterReloaded, LogLevel.Information, "Adapter {Adapter} was missing on {Endpoint} (restarted?) and has been loaded again")]
    private static partial void LogReloaded(ILogger logger, string adapter, string endpoint);

    [LoggerMessage(EventIds.AdapterLoadFailed, LogLevel.Warning, "Adapter {Adapter} on {Endpoint}: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string adapter, string endpoint, string reason);
}
