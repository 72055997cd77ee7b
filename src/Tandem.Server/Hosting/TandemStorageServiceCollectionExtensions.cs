using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Tandem.Costs;
using Tandem.Migration;
using Tandem.Records;
using Tandem.Server;
using Tandem.Server.Configuration;
using Tandem.Server.Hosting;
using Tandem.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires records storage, cost accounting and metrics into the gateway host.</summary>
public static class TandemStorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers the database named by <c>storage:</c> (default: SQLite <c>tandem.db</c> beside the configuration
    /// file) with its record store (<see cref="IRecordStore"/>) and migration store (<see cref="IMigrationStore"/>),
    /// the background <see cref="RecordWriter"/> as the <see cref="IRecordSink"/>, roll-up and retention maintenance,
    /// the <see cref="RecordFinisher"/> and the <c>Tandem</c> meter's Prometheus exporter.
    /// Storage settings are read at start-up; changing them needs a restart.
    /// </summary>
    public static IServiceCollection AddTandemStorage(this IServiceCollection services, GatewayState state)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(state);
        var options = state.Current.Config.Storage;
        var baseDirectory = Path.GetDirectoryName(state.Path) ?? Directory.GetCurrentDirectory();
        // Keys are read now, so that a missing or malformed one stops the start with a configuration error.
        var cipher = Tandem.Privacy.ContentCipher.Load(state.Current.Config.Privacy.Encryption, baseDirectory);
        // Opening does not connect: a database that is down at start-up is retried by StorageHost.
        services.TryAddSingleton(sp => StorageFactory.Open(options, baseDirectory, sp.GetService<TimeProvider>(), cipher));
        services.TryAddSingleton(sp => sp.GetRequiredService<StorageDatabase>().Records);
        services.TryAddSingleton(sp => sp.GetRequiredService<StorageDatabase>().Migrations);
        services.TryAddSingleton(sp => sp.GetRequiredService<StorageDatabase>().Feedback);
        services.TryAddSingleton(sp => sp.GetRequiredService<StorageDatabase>().Adapters);
        services.TryAddSingleton(new RecordWriterOptions
        {
            Capacity = options.QueueCapacity,
            BatchSize = options.BatchSize,
            FlushTimeout = ShutdownTimeoutOf(state.Current.Config.Server),
        });
        services.TryAddSingleton(sp => new RecordWriter(sp.GetRequiredService<IRecordStore>(), sp.GetRequiredService<RecordWriterOptions>(),
            sp.GetRequiredService<ILogger<RecordWriter>>(), sp.GetService<TimeProvider>(), sp.GetService<Tandem.Telemetry.TandemMetrics>()));
        services.Replace(ServiceDescriptor.Singleton<IRecordSink>(sp => sp.GetRequiredService<RecordWriter>()));
        services.TryAddSingleton<RecordFinisher>();
        services.TryAddSingleton<StorageHealth>();
        services.AddHostedService<StorageHost>();
        services.AddHostedService(sp => new RecordMaintenanceService(sp.GetRequiredService<IRecordStore>(),
            sp.GetRequiredService<ILogger<RecordMaintenanceService>>(), sp.GetService<TimeProvider>()));
        return services;
    }

    /// <summary><c>server.shutdown_timeout</c> (validated when the configuration loads).</summary>
    internal static TimeSpan ShutdownTimeoutOf(Tandem.Configuration.ServerConfig server) =>
        Tandem.Configuration.ConfigLoader.TryParseDuration(server.ShutdownTimeout, out var timeout) ? timeout : TimeSpan.FromSeconds(30);
}
