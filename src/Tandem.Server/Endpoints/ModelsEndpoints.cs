using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tandem.Server.Configuration;
using Tandem.Server.Proxy;
using Tandem.Wire;

namespace Tandem.Server.Endpoints;

/// <summary><c>GET /v1/models</c> and <c>/v1/models/{id}</c>: the routes and deployments a key may use, as OpenAI models.</summary>
internal static class ModelsEndpoints
{
    public static void Map(IEndpointRouteBuilder v1)
    {
        v1.MapGet("/models", static (HttpContext ctx, GatewayState state) => ListModelsAsync(ctx, state));
        v1.MapGet("/models/{id}", static (HttpContext ctx, GatewayState state) => GetModelAsync(ctx, state));
    }

    private static Task ListModelsAsync(HttpContext ctx, GatewayState state)
    {
        var snapshot = state.Current;
        var key = snapshot.Keys.Authenticate(RequestBody.PresentedKey(ctx.Request));
        if (key is null)
        {
            return JsonResponses.WriteJsonAsync(ctx, 401, w => JsonResponses.WriteError(w, "Incorrect or missing API key.", ErrorTypes.InvalidRequest, null, "invalid_api_key"));
        }

        var created = state.LoadedAt.ToUnixTimeSeconds();
        return JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var route in snapshot.Routes.Values.OrderBy(r => r.Name, StringComparer.Ordinal))
            {
                if (key.MayUse(route.Name))
                {
                    WriteModel(w, route.Name, created, "route", route.Incumbent.Name);
                }
            }

            foreach (var deployment in snapshot.Deployments.Values.OrderBy(d => d.Name, StringComparer.Ordinal))
            {
                if (key.MayUse(deployment.Name))
                {
                    WriteModel(w, deployment.Name, created, "deployment", deployment.Provider.Name);
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static Task GetModelAsync(HttpContext ctx, GatewayState state)
    {
        var snapshot = state.Current;
        var key = snapshot.Keys.Authenticate(RequestBody.PresentedKey(ctx.Request));
        if (key is null)
        {
            return JsonResponses.WriteJsonAsync(ctx, 401, w => JsonResponses.WriteError(w, "Incorrect or missing API key.", ErrorTypes.InvalidRequest, null, "invalid_api_key"));
        }

        var id = (string)ctx.Request.RouteValues["id"]!;
        if (!snapshot.TryResolve(id, key, out var route, out var deployment))
        {
            return JsonResponses.WriteJsonAsync(ctx, 404, w => JsonResponses.WriteError(w, $"The model '{id}' does not exist or you do not have access to it.", ErrorTypes.InvalidRequest, "model", "model_not_found"));
        }

        var created = state.LoadedAt.ToUnixTimeSeconds();
        return JsonResponses.WriteJsonAsync(ctx, 200, w => WriteModel(w, id, created, route is null ? "deployment" : "route", route is null ? deployment!.Provider.Name : route.Incumbent.Name));
    }

    private static void WriteModel(Utf8JsonWriter w, string id, long created, string kind, string target)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", "model");
        w.WriteNumber("created", created);
        w.WriteString("owned_by", "tandem");
        w.WriteString("tandem_kind", kind);
        w.WriteString(kind == "route" ? "tandem_deployment" : "tandem_provider", target);
        w.WriteEndObject();
    }
}
