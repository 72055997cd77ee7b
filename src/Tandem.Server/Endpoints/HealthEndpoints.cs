using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tandem.Server.Configuration;
using Tandem.Server.Hosting;

namespace Tandem.Server.Endpoints;

/// <summary>
/// <c>/healthz</c> (the process answers) and <c>/readyz</c> (records can be stored): an orchestrator's liveness and
/// readiness probes. <c>/v1</c> keeps serving while storage is down; readiness tells the orchestrator.
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", static ctx =>
        {
            ctx.Response.ContentType = "text/plain";
            return ctx.Response.WriteAsync("ok");
        });
        app.MapGet("/readyz", static (HttpContext ctx, GatewayState state, StorageHealth storage) => ReadyAsync(ctx, state, storage));
    }

    private static async Task ReadyAsync(HttpContext ctx, GatewayState state, StorageHealth storage)
    {
        var snapshot = state.Current;
        // Unready while records cannot be stored: /v1 keeps serving (records queue up to their bound), but an
        // orchestrator should know, and can route new traffic to an instance whose storage works.
        var reachable = await storage.IsReachableAsync(ctx.RequestAborted).ConfigureAwait(false);
        await JsonResponses.WriteJsonAsync(ctx, reachable ? 200 : 503, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", reachable ? "ready" : "unready");
            w.WriteNumber("config_version", snapshot.Version);
            w.WriteString("storage", reachable ? "ok" : "unreachable");
            w.WriteNumber("records_queued", storage.Writer.Held);
            w.WriteNumber("records_dropped", storage.Writer.Dropped);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }
}
