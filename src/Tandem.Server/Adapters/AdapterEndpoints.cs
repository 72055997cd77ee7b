using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tandem.Adapters;
using Tandem.Server.Configuration;
using Tandem.Server.Endpoints;
using Tandem.Wire;

namespace Tandem.Server.Adapters;

/// <summary>
/// Admin endpoints of LoRA adapters: <c>GET /admin/adapters</c> (each with its dataset, eval, replicas and routes),
/// <c>POST /admin/adapters</c> (register), <c>DELETE /admin/adapters/{name}</c> (unregister) and
/// <c>POST /admin/adapters/sync</c> (load onto replicas that lack them now, rather than at the next check).
/// </summary>
internal static class AdapterEndpoints
{
    public static void Map(IEndpointRouteBuilder admin)
    {
        admin.MapGet("/adapters", static (HttpContext ctx, GatewayState state, AdapterKeeper keeper) => ListAsync(ctx, state, keeper));
        admin.MapPost("/adapters", static (HttpContext ctx, AdapterKeeper keeper, GatewayState state) => RegisterAsync(ctx, keeper, state));
        admin.MapDelete("/adapters/{name}", static (HttpContext ctx, AdapterKeeper keeper) => RunAsync(ctx, async () =>
        {
            var name = (string)ctx.Request.RouteValues["name"]!;
            await keeper.UnregisterAsync(name, ctx.RequestAborted).ConfigureAwait(false);
            await JsonResponses.WriteJsonAsync(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteBoolean("unregistered", true);
                w.WriteEndObject();
            }).ConfigureAwait(false);
        }));
        admin.MapPost("/adapters/sync", static (HttpContext ctx, AdapterKeeper keeper) => RunAsync(ctx, async () =>
        {
            var reloaded = await keeper.SyncAsync(ctx.RequestAborted).ConfigureAwait(false);
            await JsonResponses.WriteJsonAsync(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteNumber("reloaded", reloaded);
                w.WriteEndObject();
            }).ConfigureAwait(false);
        }));
    }

    private static async Task RunAsync(HttpContext ctx, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (AdapterException e)
        {
            await JsonResponses.ErrorAsync(ctx, e.Status, e.Message, e.Status >= 500 ? ErrorTypes.Upstream : ErrorTypes.InvalidRequest, e.Param, e.Code).ConfigureAwait(false);
        }
    }

    private static Task RegisterAsync(HttpContext ctx, AdapterKeeper keeper, GatewayState state) => RunAsync(ctx, async () =>
    {
        AdapterRegistration adapter;
        try
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted).ConfigureAwait(false);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new AdapterException(400, "body", "invalid_type", "The body must be a JSON object with name, base and path.");
            }

            adapter = new AdapterRegistration
            {
                Name = Required(root, "name"),
                Base = Required(root, "base"),
                Path = Required(root, "path"),
                Dataset = Optional(root, "dataset"),
                Eval = Optional(root, "eval"),
            };
        }
        catch (JsonException e)
        {
            throw new AdapterException(400, "body", "invalid_json", "The body is not valid JSON: " + e.Message);
        }

        var registered = await keeper.RegisterAsync(adapter, ctx.RequestAborted).ConfigureAwait(false);
        await JsonResponses.WriteJsonAsync(ctx, 201, w => WriteAdapter(w, registered, keeper, state, [])).ConfigureAwait(false);
    });

    private static async Task ListAsync(HttpContext ctx, GatewayState state, AdapterKeeper keeper)
    {
        var adapters = state.Adapters;
        var routes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var a in adapters)
        {
            routes[a.Name] = await keeper.RoutesUsingAsync(a.Deployment, ctx.RequestAborted).ConfigureAwait(false);
        }

        await JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("adapters");
            foreach (var a in adapters)
            {
                WriteAdapter(w, a, keeper, state, routes[a.Name]);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static void WriteAdapter(Utf8JsonWriter w, AdapterRegistration a, AdapterKeeper keeper, GatewayState state, IReadOnlyList<string> routes)
    {
        w.WriteStartObject();
        w.WriteString("name", a.Name);
        w.WriteString("base", a.Base);
        w.WriteString("deployment", a.Deployment);
        w.WriteBoolean("deployed", state.Current.Deployments.ContainsKey(a.Deployment));
        w.WriteString("path", a.Path);
        Nullable(w, "dataset", a.Dataset);
        Nullable(w, "eval", a.Eval);
        w.WriteString("registered_at", a.RegisteredAt);
        w.WriteStartArray("replicas");
        foreach (var p in keeper.PlacementsOf(a.Name))
        {
            w.WriteStartObject();
            w.WriteString("url", p.Endpoint);
            w.WriteBoolean("loaded", p.Loaded);
            Nullable(w, "error", p.Error);
            w.WriteString("checked_at", p.CheckedAt);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("routes");
        foreach (var r in routes)
        {
            w.WriteStringValue(r);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string Required(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
            ? s
            : throw new AdapterException(400, name, "missing_required_parameter", $"'{name}' is required (a string).");

    private static string? Optional(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static void Nullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
