using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tandem.Costs;
using Tandem.Records;
using Tandem.Server.Configuration;
using Tandem.Storage;

namespace Tandem.Server.Endpoints;

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(RequestRecord))]
internal sealed partial class RecordJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>Admin endpoints over the records: one record by request id, and the cost report.</summary>
internal static class RecordsEndpoints
{
    public static void Map(IEndpointRouteBuilder admin)
    {
        admin.MapGet("/costs", static (HttpContext ctx, GatewayState state, IRecordStore store, TimeProvider time) => CostsAsync(ctx, state, store, time));
        admin.MapGet("/records/{id}", static (HttpContext ctx, IRecordStore store) => RecordAsync(ctx, store));
    }

    /// <summary>One record by the request id a client saw in <c>x-request-id</c> (support, feedback).</summary>
    private static async Task RecordAsync(HttpContext ctx, IRecordStore store)
    {
        var id = (string)ctx.Request.RouteValues["id"]!;
        // A database that is down becomes a 503 in the admin group's filter.
        var record = await store.GetAsync(id, ctx.RequestAborted).ConfigureAwait(false);

        if (record is null)
        {
            await JsonResponses.WriteJsonAsync(ctx, 404, w => JsonResponses.WriteError(w, $"No record of request '{id}' (not yet written, past retention, or never seen).", Tandem.Wire.ErrorTypes.InvalidRequest, "id", "record_not_found")).ConfigureAwait(false);
            return;
        }

        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(record, RecordJsonContext.Default.RequestRecord);
        await JsonResponses.WriteBytesAsync(ctx, 200, json).ConfigureAwait(false);
    }

    private static async Task CostsAsync(HttpContext ctx, GatewayState state, IRecordStore store, TimeProvider time)
    {
        var query = ctx.Request.Query;
        if (!CostReportQuery.TryParseSince(query["since"], out var since))
        {
            await JsonResponses.BadRequestAsync(ctx, "since", $"'{query["since"]}' is not a window such as 30d, 12h or 90m (longest 3660d).").ConfigureAwait(false);
            return;
        }

        if (!CostReportBuilder.TryParseGrouping(query["by"], out var by))
        {
            await JsonResponses.BadRequestAsync(ctx, "by", $"'{query["by"]}' is not one of route, deployment, key, day.").ConfigureAwait(false);
            return;
        }

        string? baseline = query["baseline"].ToString() is { Length: > 0 } b ? b : null;
        var config = state.Current.Config;
        if (baseline is not null && !config.Deployments.Any(d => d.Name == baseline))
        {
            await JsonResponses.BadRequestAsync(ctx, "baseline", $"'{baseline}' is not a deployment.").ConfigureAwait(false);
            return;
        }

        var report = await CostReportQuery.RunAsync(store, config, since, by, baseline, time.GetUtcNow(), ctx.RequestAborted).ConfigureAwait(false);

        var json = System.Text.Encoding.UTF8.GetBytes(CostReportJson.Serialize(report));
        await JsonResponses.WriteBytesAsync(ctx, 200, json).ConfigureAwait(false);
    }
}
