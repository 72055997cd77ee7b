using Microsoft.Extensions.Logging;
using Tandem.Configuration;
using Tandem.Upstream;

namespace Tandem.Runtime;

/// <summary>A deployment ready to be called.</summary>
public sealed class DeploymentRuntime
{
    internal DeploymentRuntime(DeploymentConfig config, ProviderRuntime provider, DeploymentResilience resilience, SecretScrubber secrets, RuntimeServices services)
    {
        Config = config;
        Name = config.Name;
        Provider = provider;
        UpstreamModel = config.Model;
        UpstreamModelJson = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(config.Model, Configuration.ConfigJsonContext.Default.String);
        Resilience = resilience;
        Invoker = new DeploymentInvoker(this, secrets, services.Time, services.Logging.CreateLogger("Tandem.Upstream"));
    }

    /// <summary>The upstream seam: every call to this deployment goes through it.</summary>
    public DeploymentInvoker Invoker { get; }

    /// <summary>The upstream model id as a JSON string literal, encoded once for the body rewrite.</summary>
    public byte[] UpstreamModelJson { get; }

    /// <summary>Retries and circuit breaker.</summary>
    public DeploymentResilience Resilience { get; }

    /// <summary>The deployment's configuration.</summary>
    public DeploymentConfig Config { get; }

    /// <summary>The deployment's name.</summary>
    public string Name { get; }

    /// <summary>The provider serving it.</summary>
    public ProviderRuntime Provider { get; }

    /// <summary>The model id sent upstream.</summary>
    public string UpstreamModel { get; }
}

/// <summary>A route ready to be resolved.</summary>
public sealed class RouteRuntime
{
    internal RouteRuntime(RouteConfig config, Routing.RoutePolicy policy, Quality.Escalator? escalator, Routing.LocalStage? local = null)
    {
        Config = config;
        Name = config.Name;
        Policy = policy;
        Escalator = escalator;
        Local = local;
    }

    /// <summary>The route's local first stage (a distilled classifier), when configured.</summary>
    public Routing.LocalStage? Local { get; }

    /// <summary>The route's escalation to a stronger deployment, when configured.</summary>
    public Quality.Escalator? Escalator { get; }

    /// <summary>The route's configuration.</summary>
    public RouteConfig Config { get; }

    /// <summary>The route's name.</summary>
    public string Name { get; }

    /// <summary>The compiled policy.</summary>
    public Routing.RoutePolicy Policy { get; }

    /// <summary>The deployment the route stands on today (see <see cref="Routing.RoutePolicy.Incumbent"/>).</summary>
    public DeploymentRuntime Incumbent => Policy.Incumbent;
}

/// <summary>
/// An immutable, compiled view of one configuration. The request path reads it through a single volatile
/// reference that a reload swaps; a request keeps the snapshot it started with until it ends.
/// </summary>
public sealed class GatewaySnapshot
{
    private GatewaySnapshot(TandemConfig config, long version, KeyRing keys, Dictionary<string, ProviderRuntime> providers,
        Dictionary<string, DeploymentRuntime> deployments, Dictionary<string, RouteRuntime> routes, RuntimeServices services, SecretScrubber secrets)
    {
        Services = services;
        Secrets = secrets;
        Config = config;
        Version = version;
        Keys = keys;
        Providers = providers;
        Deployments = deployments;
        Routes = routes;
    }

    /// <summary>The configuration it was built from.</summary>
    public TandemConfig Config { get; }

    /// <summary>The clock, loggers, provider types and random source it was built with.</summary>
    public RuntimeServices Services { get; }

    /// <summary>Removes configured secrets from upstream text that Tandem embeds or relays.</summary>
    public SecretScrubber Secrets { get; }

    /// <summary>Increases by one with every successful load.</summary>
    public long Version { get; }

    /// <summary>The accepted keys.</summary>
    public KeyRing Keys { get; }

    /// <summary>Providers by name.</summary>
    public IReadOnlyDictionary<string, ProviderRuntime> Providers { get; }

    /// <summary>Deployments by name.</summary>
    public IReadOnlyDictionary<string, DeploymentRuntime> Deployments { get; }

    /// <summary>Routes by name.</summary>
    public IReadOnlyDictionary<string, RouteRuntime> Routes { get; }

    /// <summary>
    /// Builds a snapshot. Provider runtimes whose settings did not change are taken over from
    /// <paramref name="previous"/> so that their connection pools survive the reload.
    /// </summary>
    public static GatewaySnapshot Build(TandemConfig config, GatewaySnapshot? previous, RuntimeServices? services = null)
    {
        services ??= previous?.Services ?? RuntimeServices.Default;
        var time = services.Time;
        ArgumentNullException.ThrowIfNull(config);
        var providers = new Dictionary<string, ProviderRuntime>(StringComparer.Ordinal);
        foreach (var p in config.Providers)
        {
            var fresh = new ProviderRuntime(p, services.Adapters, services.Random, services.HttpHandler, services.Time);
            if (previous is not null && previous.Providers.TryGetValue(p.Name, out var old) && old.ConfigFingerprint == fresh.ConfigFingerprint)
            {
                fresh.Dispose();
                providers[p.Name] = old;
            }
            else
            {
                providers[p.Name] = fresh;
            }
        }

        foreach (var p in providers.Values)
        {
            p.StartHealthChecks();
        }

        var keys = new KeyRing(config.Auth, services.VirtualKeys);
        var secrets = new SecretScrubber(providers.Values.Select(p => p.Credential).Concat(keys.Secrets));

        var deployments = config.Deployments.ToDictionary(d => d.Name, d =>
        {
            var resilience = new DeploymentResilience(d.Name, d.Resilience, time);
            if (previous is not null && previous.Deployments.TryGetValue(d.Name, out var old) && old.Resilience.Fingerprint == resilience.Fingerprint)
            {
                resilience = old.Resilience;
            }

            return new DeploymentRuntime(d, providers[d.Provider], resilience, secrets, services);
        }, StringComparer.Ordinal);
        var routes = config.Routes.ToDictionary(r => r.Name, r => new RouteRuntime(r, new Routing.RoutePolicy(r, deployments, services.Random, services.Time, services.SentenceEncoders), Quality.Escalator.For(r, deployments), Routing.LocalStage.For(r, services.Random, services.SentenceEncoders)), StringComparer.Ordinal);
        return new GatewaySnapshot(config, (previous?.Version ?? 0) + 1, keys, providers, deployments, routes, services, secrets);
    }

    /// <summary>Providers of this snapshot that <paramref name="next"/> no longer uses.</summary>
    public IEnumerable<ProviderRuntime> ProvidersRetiredBy(GatewaySnapshot next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return Providers.Values.Where(p => !next.Providers.Values.Contains(p));
    }

    /// <summary>
    /// Resolves a client's <c>model</c>: a route name first, then a deployment name. Returns false when neither
    /// exists or the key may not use it (the two look the same to the caller, as with OpenAI).
    /// </summary>
    public bool TryResolve(string model, GatewayKey key, out RouteRuntime? route, out DeploymentRuntime? deployment)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (Routes.TryGetValue(model, out route))
        {
            deployment = null;
            return key.MayUse(route.Name);
        }

        if (Deployments.TryGetValue(model, out deployment))
        {
            return key.MayUse(deployment.Name);
        }

        return false;
    }
}
