using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Tandem.Telemetry;

namespace Tandem.Migration;

/// <summary>
/// Notices when a pinned deployment starts answering as a different model: the model id and system fingerprint an
/// upstream reports are remembered per deployment, and a change is logged and stored as a drift event.
/// </summary>
internal sealed partial class DriftWatch
{
    private readonly IMigrationStore _store;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (string? Model, string? Fingerprint)> _identities = new(StringComparer.Ordinal);

    public DriftWatch(IMigrationStore store, ILogger logger, TimeProvider time)
    {
        _store = store;
        _logger = logger;
        _time = time;
    }

    /// <summary>The route name under which a deployment's drift events are stored.</summary>
    public static string EventRoute(string deployment) => "deployment:" + deployment;

    public void Observe(string deployment, string? model, string? fingerprint)
    {
        if (model is null && fingerprint is null)
        {
            return;
        }

        var seen = _identities.GetOrAdd(deployment, (model, fingerprint));
        if (seen.Model == model && seen.Fingerprint == fingerprint)
        {
            return;
        }

        if (_identities.TryUpdate(deployment, (model, fingerprint), seen))
        {
            LogDrift(_logger, deployment, seen.Model, seen.Fingerprint, model, fingerprint);
            _ = StoreAsync(new MigrationEvent
            {
                Route = EventRoute(deployment),
                Time = _time.GetUtcNow(),
                Kind = MigrationEventKinds.Drift,
                From = $"{seen.Model} {seen.Fingerprint}",
                To = $"{model} {fingerprint}",
                Trigger = "observed",
            });
        }
    }

    private async Task StoreAsync(MigrationEvent drift)
    {
        try
        {
            await _store.AppendEventAsync(drift).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The log line above has it; a database that is down must not fault an unobserved task.
            LogDriftNotStored(_logger, e, drift.Route);
        }
    }

    [LoggerMessage(EventIds.Drift, LogLevel.Warning, "Deployment {Deployment} drifted: upstream reported {OldModel}/{OldFingerprint}, now {NewModel}/{NewFingerprint}")]
    private static partial void LogDrift(ILogger logger, string deployment, string? oldModel, string? oldFingerprint, string? newModel, string? newFingerprint);

    [LoggerMessage(EventIds.DriftNotStored, LogLevel.Warning, "Drift event for {Route} not stored (database unavailable)")]
    private static partial void LogDriftNotStored(ILogger logger, Exception exception, string route);
}

/// <summary>Kinds of migration events.</summary>
public static class MigrationEventKinds
{
    /// <summary>A migration started.</summary>
    public const string Start = "start";

    /// <summary>A stage was entered by advancing.</summary>
    public const string Advance = "advance";

    /// <summary>The migration was rolled back.</summary>
    public const string Rollback = "rollback";

    /// <summary>The candidate was pinned.</summary>
    public const string Pin = "pin";

    /// <summary>An upstream started reporting another model.</summary>
    public const string Drift = "drift";
}
