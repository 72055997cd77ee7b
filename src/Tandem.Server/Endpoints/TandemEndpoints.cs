using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tandem.Migration;
using Tandem.Server.Configuration;
using Tandem.Server.Proxy;
using Tandem.Wire;

namespace Tandem.Server.Endpoints;

/// <summary>
/// Every endpoint of the gateway, as route groups: <c>/v1</c> (OpenAI's API, keys checked by the proxy), <c>/admin</c>
/// (one role-aware filter for the whole group), probes and <c>/metrics</c>.
/// </summary>
internal static class TandemEndpoints
{
    public static void Map(WebApplication app)
    {
        var proxy = app.Services.GetRequiredService<ChatProxy>();
        var v1 = app.MapGroup("/v1");
        v1.MapPost("/chat/completions", ctx => proxy.HandleAsync(ctx, ApiOperation.ChatCompletions));
        v1.MapPost("/completions", ctx => proxy.HandleAsync(ctx, ApiOperation.Completions));
        v1.MapPost("/embeddings", ctx => proxy.HandleAsync(ctx, ApiOperation.Embeddings));
        ModelsEndpoints.Map(v1);
        Feedback.FeedbackEndpoints.MapClient(v1);

        // Anything else under /v1 gets an OpenAI-shaped 404 rather than an empty one.
        app.MapFallback("/v1/{**rest}", static ctx => JsonResponses.ErrorAsync(ctx, 404,
            $"Unknown endpoint {ctx.Request.Method} {ctx.Request.Path}.", ErrorTypes.InvalidRequest, null, "unknown_url"));

        HealthEndpoints.Map(app);
        app.MapPrometheusScrapingEndpoint("/metrics");

        // One filter for the whole group: the caller's admin key and role, and the audit entry of every change.
        var admin = app.MapGroup("/admin").AddEndpointFilter<AdminAccessFilter>();
        DeploymentEndpoints.Map(admin);
        RecordsEndpoints.Map(admin);
        PrivacyEndpoints.Map(admin);
        Dashboard.RecordLogEndpoints.Map(admin);
        Feedback.FeedbackEndpoints.MapAdmin(admin);
        Adapters.AdapterEndpoints.Map(admin);
        AdminKeyEndpoints.Map(admin);
        AdminAuditEndpoints.Map(admin);
        Dashboard.DashboardEndpoints.Map(app);
        MigrationEndpoints.Map(admin, app.Services.GetRequiredService<GatewayState>(), app.Services.GetRequiredService<MigrationCoordinator>(), app.Services.GetRequiredService<TimeProvider>());
    }
}
