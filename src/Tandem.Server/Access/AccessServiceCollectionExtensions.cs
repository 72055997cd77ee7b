using Microsoft.Extensions.DependencyInjection.Extensions;
using Tandem.Access;
using Tandem.Server.Access;
using Tandem.Server.Endpoints;
using Tandem.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires virtual keys, the audit log, the role-aware admin filter and the sync with other instances.</summary>
internal static class AccessServiceCollectionExtensions
{
    /// <summary>
    /// Registers <paramref name="keys"/> (the table the snapshots' key rings consult), the key store, change signals and
    /// audit log of the gateway's database, the admin filter and <see cref="ClusterSync"/>. Call after AddTandemStorage.
    /// </summary>
    public static IServiceCollection AddTandemAccess(this IServiceCollection services, VirtualKeyTable keys)
    {
        services.TryAddSingleton(keys);
        services.TryAddSingleton(sp => sp.GetRequiredService<StorageDatabase>().Keys);
        services.TryAddSingleton(sp => sp.GetRequiredService<StorageDatabase>().Signals);
        services.TryAddSingleton(sp => sp.GetRequiredService<StorageDatabase>().Audit);
        services.TryAddSingleton<AuditState>();
        services.TryAddSingleton<AdminAccessFilter>();
        services.TryAddSingleton<ClusterSync>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterSync>());
        return services;
    }
}
