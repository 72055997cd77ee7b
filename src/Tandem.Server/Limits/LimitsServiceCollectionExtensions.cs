using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Configuration;
using Tandem.Limits;
using Tandem.Server.Configuration;
using Tandem.Server.Limits;
using Tandem.Server.Proxy;
using Tandem.Storage;
using Tandem.Storage.Limits;
using Tandem.Storage.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires budgets and rate limits into the gateway host.</summary>
public static class LimitsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the limits of the live configuration (<see cref="ILimitSource"/>; replace or decorate it to add
    /// limits from elsewhere), the counter store named by <c>limits.store</c> (read at start-up: the gateway's database,
    /// or Redis), alerts with their webhook, and the <see cref="LimitEnforcer"/>.
    /// </summary>
    public static IServiceCollection AddTandemLimits(this IServiceCollection services, GatewayState state)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(state);
        var limits = state.Current.Config.Limits;
        services.TryAddSingleton<ILimitSource>(new ConfigLimitSource(() => state.Current.Config));
        if (limits.Store == LimitStores.Redis)
        {
            // Validated at load: the variable is set. Connecting does not fail when Redis is down.
            var connection = Environment.GetEnvironmentVariable(limits.RedisConnectionEnv!)!;
            services.TryAddSingleton<ILimitCounterStore>(_ => RedisLimitCounterStore.Connect(connection));
        }
        else
        {
            services.TryAddSingleton(sp => new SqlLimitCounterStore(sp.GetRequiredService<StorageDatabase>()));
            services.TryAddSingleton<ILimitCounterStore>(sp => sp.GetRequiredService<SqlLimitCounterStore>());
            services.AddHostedService<LimitCounterMaintenance>();
        }

        services.TryAddSingleton(sp => new LimitAlertWebhook(sp.GetRequiredService<ILoggerFactory>().CreateLogger("Tandem.Limits"), sp.GetService<TimeProvider>()));
        services.TryAddSingleton(sp => new LimitAlerts(() => state.Current.Config.Limits, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Tandem.Limits"),
            sp.GetRequiredService<Tandem.Telemetry.TandemMetrics>().Meter, sp.GetRequiredService<LimitAlertWebhook>()));
        services.TryAddSingleton(sp => new LimitEnforcer(sp.GetRequiredService<ILimitSource>(), sp.GetRequiredService<ILimitCounterStore>(),
            () => state.Current.Config.Limits, sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Tandem.Limits"), sp.GetRequiredService<LimitAlerts>(),
            sp.GetRequiredService<Tandem.Telemetry.TandemMetrics>().Meter));
        services.TryAddSingleton<LimitGate>();
        return services;
    }
}
