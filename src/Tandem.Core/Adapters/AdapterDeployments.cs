using Tandem.Configuration;

namespace Tandem.Adapters;

/// <summary>
/// Registered adapters as deployments: each is its base deployment (provider, price, limits, resilience) with the
/// adapter's name as the upstream model, which is how vLLM serves a LoRA adapter.
/// </summary>
public static class AdapterDeployments
{
    /// <summary>
    /// The deployments <paramref name="adapters"/> add to <paramref name="config"/>: adapters whose base deployment is
    /// not configured, or whose deployment name a configured deployment already has, add none.
    /// </summary>
    public static IReadOnlyList<DeploymentConfig> For(TandemConfig config, IEnumerable<AdapterRegistration> adapters)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(adapters);
        var configured = config.Deployments.ToDictionary(d => d.Name, StringComparer.Ordinal);
        var added = new List<DeploymentConfig>();
        foreach (var a in adapters.OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            if (!configured.TryGetValue(a.Base, out var baseDeployment) || configured.ContainsKey(a.Deployment) || added.Any(d => d.Name == a.Deployment))
            {
                continue;
            }

            added.Add(baseDeployment with
            {
                Name = a.Deployment,
                Model = a.Name,
                Version = a.Path,
                Description = $"LoRA adapter {a.Name} on {a.Base}",
                // The adapter is retired by unregistering it, not by the base model's dates.
                Retires = null,
            });
        }

        return added;
    }

    /// <summary><paramref name="config"/> with the adapters' deployments appended (the same instance when none are added).</summary>
    public static TandemConfig Extend(TandemConfig config, IEnumerable<AdapterRegistration> adapters)
    {
        var added = For(config, adapters);
        return added.Count == 0 ? config : config with { Deployments = [.. config.Deployments, .. added] };
    }
}
