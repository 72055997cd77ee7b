using Polly.CircuitBreaker;
using Tandem.Access;
using Tandem.Adapters;
using Tandem.Migration;
using Tandem.Server.Configuration;

namespace Tandem.Server.Access;

/// <summary>
/// The audited state of an object, as JSON, read just before and just after an admin action: a key's record, a
/// route's migration, a deployment's breaker, the configuration's version, an adapter's registration.
/// </summary>
internal sealed class AuditState(IKeyStore keys, MigrationCoordinator migrations, GatewayState state, IAdapterStore adapters)
{
    public async Task<string?> DescribeAsync(string? obj, CancellationToken cancellationToken)
    {
        if (obj is null)
        {
            return null;
        }

        var colon = obj.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? obj : obj[..colon];
        var id = colon < 0 ? null : obj[(colon + 1)..];
        switch (kind)
        {
            case "key" when id is not null:
                return await keys.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } key ? AccessJson.ToJson(w => AccessJson.WriteKey(w, key)) : null;
            case "route" when id is not null:
                return migrations.States.TryGetValue(id, out var m) ? AccessJson.ToJson(w => AccessJson.WriteMigration(w, m)) : null;
            case "deployment" when id is not null:
                if (!state.Current.Deployments.TryGetValue(id, out var d))
                {
                    return null;
                }

                var breaker = d.Resilience.BreakerState switch
                {
                    CircuitState.Open => "open",
                    CircuitState.HalfOpen => "half_open",
                    CircuitState.Isolated => "isolated",
                    _ => "closed",
                };
                return AccessJson.ToJson(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("deployment", id);
                    w.WriteString("breaker", breaker);
                    w.WriteEndObject();
                });
            case "config":
                var snapshot = state.Current;
                return AccessJson.ToJson(w =>
                {
                    w.WriteStartObject();
                    w.WriteNumber("version", snapshot.Version);
                    w.WriteString("loaded_at", state.LoadedAt);
                    w.WriteEndObject();
                });
            case "adapter" when id is not null:
                var adapter = (await adapters.ListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(a => a.Name == id);
                return adapter is null ? null : AccessJson.ToJson(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("name", adapter.Name);
                    w.WriteString("base", adapter.Base);
                    w.WriteString("path", adapter.Path);
                    w.WriteEndObject();
                });
            default:
                return null;
        }
    }
}
