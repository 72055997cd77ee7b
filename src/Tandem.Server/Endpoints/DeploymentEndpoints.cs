using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tandem.Server.Configuration;
using Tandem.Wire;

namespace Tandem.Server.Endpoints;

/// <summary>
/// Admin endpoints of the configuration and deployments: reload and status, deployments with breaker and replica
/// state, and maintenance (isolating a deployment holds its breaker open so that routes fall back).
/// </summary>
internal static class DeploymentEndpoints
{
    public static void Map(IEndpointRouteBuilder admin)
    {
        admin.MapPost("/reload", static (HttpContext ctx, GatewayState state, Access.ClusterSync sync) => ReloadAsync(ctx, state, sync));
        admin.MapGet("/config", static (HttpContext ctx, GatewayState state) => ConfigStatusAsync(ctx, state));
        admin.MapGet("/deployments", static (HttpContext ctx, GatewayState state, TimeProvider time) => DeploymentsStatusAsync(ctx, state, time));
        admin.MapPost("/deployments/{name}/isolate", static (HttpContext ctx, GatewayState state) => BreakerControlAsync(ctx, state, isolate: true));
        admin.MapPost("/deployments/{name}/close", static (HttpContext ctx, GatewayState state) => BreakerControlAsync(ctx, state, isolate: false));
    }

    private static async Task ReloadAsync(HttpContext ctx, GatewayState state, Access.ClusterSync sync)
    {
        var outcome = await state.ReloadAsync().ConfigureAwait(false);
        if (outcome.Succeeded)
        {
            // The other instances on this database reload too, within server.sync_interval.
            await sync.AnnounceConfigReloadAsync(ctx.RequestAborted).ConfigureAwait(false);
        }

        await JsonResponses.WriteJsonAsync(ctx, outcome.Succeeded ? 200 : 422, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("reloaded", outcome.Succeeded);
            w.WriteNumber("config_version", outcome.Version);
            w.WriteStartArray("errors");
            foreach (var e in outcome.Errors)
            {
                w.WriteStringValue(e);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static Task ConfigStatusAsync(HttpContext ctx, GatewayState state)
    {
        var snapshot = state.Current;
        return JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("path", state.Path);
            w.WriteNumber("version", snapshot.Version);
            w.WriteString("loaded_at", state.LoadedAt);
            w.WriteStartArray("last_reload_errors");
            foreach (var e in state.LastReloadErrors ?? [])
            {
                w.WriteStringValue(e);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static Task DeploymentsStatusAsync(HttpContext ctx, GatewayState state, TimeProvider time)
    {
        var snapshot = state.Current;
        var now = time.GetUtcNow();
        return JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("deployments");
            foreach (var d in snapshot.Deployments.Values.OrderBy(d => d.Name, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("name", d.Name);
                w.WriteString("provider", d.Provider.Name);
                w.WriteString("model", d.UpstreamModel);
                w.WriteString("breaker", d.Resilience.BreakerState switch
                {
                    Polly.CircuitBreaker.CircuitState.Open => "open",
                    Polly.CircuitBreaker.CircuitState.HalfOpen => "half_open",
                    Polly.CircuitBreaker.CircuitState.Isolated => "isolated",
                    _ => "closed",
                });
                var limiter = d.Provider.Limiter.GetStatistics();
                w.WriteNumber("provider_in_flight", d.Provider.Config.MaxConcurrency - (limiter?.CurrentAvailablePermits ?? d.Provider.Config.MaxConcurrency));
                w.WriteNumber("provider_queued", limiter?.CurrentQueuedCount ?? 0);
                w.WriteStartArray("endpoints");
                foreach (var e in d.Provider.Endpoints)
                {
                    w.WriteStartObject();
                    w.WriteString("url", e.BaseUrl);
                    w.WriteBoolean("available", e.IsAvailable(now));
                    w.WriteBoolean("health_check_passing", e.HealthCheckPassing);
                    w.WriteNumber("outstanding", e.Outstanding);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static async Task BreakerControlAsync(HttpContext ctx, GatewayState state, bool isolate)
    {
        var name = (string)ctx.Request.RouteValues["name"]!;
        if (!state.Current.Deployments.TryGetValue(name, out var deployment))
        {
            await JsonResponses.WriteJsonAsync(ctx, 404, w => JsonResponses.WriteError(w, $"Unknown deployment '{name}'.", ErrorTypes.InvalidRequest, "name", "not_found")).ConfigureAwait(false);
            return;
        }

        if (isolate)
        {
            await deployment.Resilience.IsolateAsync().ConfigureAwait(false);
        }
        else
        {
            await deployment.Resilience.CloseAsync().ConfigureAwait(false);
        }

        await JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("deployment", name);
            w.WriteString("breaker", isolate ? "isolated" : "closed");
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }
}
