using Microsoft.Extensions.DependencyInjection.Extensions;
using Tandem.Server.Dashboard;
using Tandem.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the dashboard's services.</summary>
public static class DashboardServiceCollectionExtensions
{
    /// <summary>
    /// Sessions, the embedded front end, the request-log search of the database, and the <see cref="IAdminActionLog"/>
    /// (a log event per action unless another one, such as an audit log, was registered first).
    /// </summary>
    public static IServiceCollection AddTandemDashboard(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new DashboardSessions(sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.TryAddSingleton(_ => DashboardAssets.Load());
        services.TryAddSingleton<IAdminActionLog, AuditingAdminActionLog>();
        services.TryAddSingleton(sp => sp.GetRequiredService<StorageDatabase>().Search);
        services.TryAddSingleton(sp => sp.GetRequiredService<StorageDatabase>().Quality);
        return services;
    }
}
