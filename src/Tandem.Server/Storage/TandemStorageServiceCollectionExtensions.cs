using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Tandem.Costs;
using Tandem.Records;
using Tandem.Server;
using Tandem.Server.Configuration;
using Tandem.Server.Storage;
using Tandem.Storage;

namespace Microsoft.Extensions.DependencyInjection;

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(RequestRecord))]
internal sealed partial class RecordJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>Wires records storage, cost accounting and metrics into the gateway host.</summary>
public static class TandemStorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers the record store named by <c>storage:</c> (default: SQLite <c>tandem.db</c> beside the configuration
    /// file), the background <see cref="RecordWriter"/> as the <see cref="IRecordSink"/>, roll-up and retention
    /// maintenance, the <see cref="RecordFinisher"/> and the <c>Tandem</c> meter's Prometheus exporter.
    /// Storage settings are read at start-up; changing them needs a restart.
    /// </summary>
    public static IServiceCollection AddTandemStorage(this IServiceCollection services, GatewayState state)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(state);
        var options = state.Current.Config.Storage;
        var baseDirectory = Path.GetDirectoryName(state.Path) ?? Directory.GetCurrentDirectory();
        services.TryAddSingleton<IRecordStore>(_ => RecordStoreFactory.Create(options, baseDirectory));
        services.TryAddSingleton(new RecordWriterOptions { Capacity = options.QueueCapacity, BatchSize = options.BatchSize });
        services.TryAddSingleton(sp => new RecordWriter(sp.GetRequiredService<IRecordStore>(), sp.GetRequiredService<RecordWriterOptions>(),
            sp.GetRequiredService<ILogger<RecordWriter>>(), sp.GetService<TimeProvider>()));
        services.Replace(ServiceDescriptor.Singleton<IRecordSink>(sp => sp.GetRequiredService<RecordWriter>()));
        services.TryAddSingleton<RecordFinisher>();
        services.TryAddSingleton<StorageHealth>();
        services.AddHostedService<StorageHost>();
        services.AddHostedService(sp => new RecordMaintenanceService(sp.GetRequiredService<IRecordStore>(),
            sp.GetRequiredService<ILogger<RecordMaintenanceService>>(), sp.GetService<TimeProvider>()));
        services.AddOpenTelemetry().WithMetrics(m => m.AddMeter("Tandem").AddPrometheusExporter());
        return services;
    }

    /// <summary>Maps <c>/metrics</c> (Prometheus text format), <c>GET /admin/costs</c> and <c>GET /admin/records/{id}</c>.</summary>
    public static IEndpointRouteBuilder MapTandemStorageEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPrometheusScrapingEndpoint("/metrics");
        endpoints.MapGet("/admin/costs", CostsAsync);
        endpoints.MapGet("/admin/records/{id}", RecordAsync);
        return endpoints;
    }

    /// <summary>One record by the request id a client saw in <c>x-request-id</c> (support, feedback).</summary>
    private static async Task RecordAsync(HttpContext ctx)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        if (!state.Current.Keys.IsAdmin(AdminBearer(ctx)))
        {
            await GatewayApp.WriteJsonAsync(ctx, 401, w => GatewayApp.WriteError(w, "The admin API needs the admin key.", Tandem.Wire.ErrorTypes.InvalidRequest, null, "invalid_api_key")).ConfigureAwait(false);
            return;
        }

        var id = (string)ctx.Request.RouteValues["id"]!;
        RequestRecord? record;
        try
        {
            record = await ctx.RequestServices.GetRequiredService<IRecordStore>().GetAsync(id, ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or TimeoutException or InvalidOperationException)
        {
            await GatewayApp.WriteJsonAsync(ctx, 503, w => GatewayApp.WriteError(w, "Storage is unreachable: " + e.Message, Tandem.Wire.ErrorTypes.Server, null, "storage_unavailable")).ConfigureAwait(false);
            return;
        }

        if (record is null)
        {
            await GatewayApp.WriteJsonAsync(ctx, 404, w => GatewayApp.WriteError(w, $"No record of request '{id}' (not yet written, past retention, or never seen).", Tandem.Wire.ErrorTypes.InvalidRequest, "id", "record_not_found")).ConfigureAwait(false);
            return;
        }

        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(record, RecordJsonContext.Default.RequestRecord);
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = json.Length;
        await ctx.Response.Body.WriteAsync(json, ctx.RequestAborted).ConfigureAwait(false);
    }

    private static async Task CostsAsync(HttpContext ctx)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        if (!state.Current.Keys.IsAdmin(AdminBearer(ctx)))
        {
            await GatewayApp.WriteJsonAsync(ctx, 401, w => GatewayApp.WriteError(w, "The admin API needs the admin key.", Tandem.Wire.ErrorTypes.InvalidRequest, null, "invalid_api_key")).ConfigureAwait(false);
            return;
        }

        var query = ctx.Request.Query;
        if (!CostReportQuery.TryParseSince(query["since"], out var since))
        {
            await BadRequestAsync(ctx, "since", $"'{query["since"]}' is not a window such as 30d, 12h or 90m (longest 3660d).").ConfigureAwait(false);
            return;
        }

        if (!CostReportBuilder.TryParseGrouping(query["by"], out var by))
        {
            await BadRequestAsync(ctx, "by", $"'{query["by"]}' is not one of route, deployment, key, day.").ConfigureAwait(false);
            return;
        }

        string? baseline = query["baseline"].ToString() is { Length: > 0 } b ? b : null;
        var config = state.Current.Config;
        if (baseline is not null && !config.Deployments.Any(d => d.Name == baseline))
        {
            await BadRequestAsync(ctx, "baseline", $"'{baseline}' is not a deployment.").ConfigureAwait(false);
            return;
        }

        var store = ctx.RequestServices.GetRequiredService<IRecordStore>();
        var time = ctx.RequestServices.GetRequiredService<TimeProvider>();
        CostReport report;
        try
        {
            report = await CostReportQuery.RunAsync(store, config, since, by, baseline, time.GetUtcNow(), ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or TimeoutException or InvalidOperationException)
        {
            await GatewayApp.WriteJsonAsync(ctx, 503, w => GatewayApp.WriteError(w, "Storage is unreachable: " + e.Message, Tandem.Wire.ErrorTypes.Server, null, "storage_unavailable")).ConfigureAwait(false);
            return;
        }

        var json = System.Text.Encoding.UTF8.GetBytes(CostReportJson.Serialize(report));
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = json.Length;
        await ctx.Response.Body.WriteAsync(json, ctx.RequestAborted).ConfigureAwait(false);
    }

    private static Task BadRequestAsync(HttpContext ctx, string param, string message) =>
        GatewayApp.WriteJsonAsync(ctx, 400, w => GatewayApp.WriteError(w, message, Tandem.Wire.ErrorTypes.InvalidRequest, param, "invalid_parameter"));

    private static ReadOnlySpan<char> AdminBearer(HttpContext ctx)
    {
        var auth = ctx.Request.Headers.Authorization.ToString().AsSpan().Trim();
        return auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : ctx.Request.Headers["api-key"].ToString().AsSpan().Trim();
    }
}
