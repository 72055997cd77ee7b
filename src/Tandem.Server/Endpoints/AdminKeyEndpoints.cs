using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tandem.Access;
using Tandem.Configuration;
using Tandem.Server.Access;
using Tandem.Server.Configuration;
using Tandem.Wire;

namespace Tandem.Server.Endpoints;

/// <summary>
/// Virtual keys through the admin API: create (the key is in that answer and nowhere else, ever), list, show, rotate
/// (a new key with the same settings; the old one ends now or after a grace period) and revoke. Changes take effect
/// at once on this instance and within <c>server.sync_interval</c> on the others.
/// </summary>
internal static class AdminKeyEndpoints
{
    public static void Map(IEndpointRouteBuilder admin)
    {
        admin.MapPost("/keys", static (HttpContext ctx, GatewayState state, IKeyStore store, VirtualKeyTable table, TimeProvider time) => CreateAsync(ctx, state, store, table, time));
        admin.MapGet("/keys", static (HttpContext ctx, IKeyStore store) => ListAsync(ctx, store));
        admin.MapGet("/keys/{id}", static (HttpContext ctx, IKeyStore store) => GetAsync(ctx, store));
        admin.MapPost("/keys/{id}/rotate", static (HttpContext ctx, IKeyStore store, VirtualKeyTable table, TimeProvider time) => RotateAsync(ctx, store, table, time));
        admin.MapPost("/keys/{id}/revoke", static (HttpContext ctx, IKeyStore store, VirtualKeyTable table, TimeProvider time) => RevokeAsync(ctx, store, table, time));
        admin.MapDelete("/keys/{id}", static (HttpContext ctx, IKeyStore store, VirtualKeyTable table, TimeProvider time) => RevokeAsync(ctx, store, table, time));
    }

    /// <summary>The JSON body (null when optional and absent); Ok false after writing a 400.</summary>
    private static async Task<(bool Ok, JsonDocument? Doc)> ReadBodyAsync(HttpContext ctx, bool optional)
    {
        if (optional && ctx.Request.ContentLength is 0 or null && !ctx.Request.Headers.ContainsKey("Transfer-Encoding"))
        {
            return (true, null);
        }

        try
        {
            return (true, await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted).ConfigureAwait(false));
        }
        catch (JsonException)
        {
            await JsonResponses.BadRequestAsync(ctx, "body", "The body is not valid JSON.").ConfigureAwait(false);
            return (false, null);
        }
    }

    private static async Task CreateAsync(HttpContext ctx, GatewayState state, IKeyStore store, VirtualKeyTable table, TimeProvider time)
    {
        var (ok, doc) = await ReadBodyAsync(ctx, optional: false).ConfigureAwait(false);
        if (!ok)
        {
            return;
        }

        using (doc)
        {
            var now = time.GetUtcNow();
            var request = KeyRequest.Parse(doc!.RootElement, state.Current, now, out var problem);
            if (request is null)
            {
                await JsonResponses.BadRequestAsync(ctx, problem.Param, problem.Message).ConfigureAwait(false);
                return;
            }

            var (secret, hash, display, id) = KeySecrets.Create();
            var key = new VirtualKey
            {
                Id = id,
                Name = request.Name,
                Hash = hash,
                Prefix = display,
                Owner = request.Owner,
                Team = request.Team,
                Role = request.Role,
                Routes = request.Routes,
                Metadata = request.Metadata,
                CreatedAt = now,
                ExpiresAt = request.ExpiresAt,
            };
            ctx.Features.Get<AdminCaller>()!.Object = "key:" + id;
            await store.CreateAsync(key, ctx.RequestAborted).ConfigureAwait(false);
            table.Apply(key);
            ctx.Response.Headers.CacheControl = "no-store";
            await JsonResponses.WriteJsonAsync(ctx, 201, w => AccessJson.WriteKey(w, key, secret)).ConfigureAwait(false);
        }
    }

    private static async Task ListAsync(HttpContext ctx, IKeyStore store)
    {
        var all = ctx.Request.Query["include_revoked"].ToString() is "true" or "1";
        var keys = await store.ListAsync(all, ctx.RequestAborted).ConfigureAwait(false);
        await JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("keys");
            foreach (var k in keys)
            {
                AccessJson.WriteKey(w, k);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static async Task GetAsync(HttpContext ctx, IKeyStore store)
    {
        var id = (string)ctx.Request.RouteValues["id"]!;
        if (await store.GetAsync(id, ctx.RequestAborted).ConfigureAwait(false) is not { } key)
        {
            await NotFoundAsync(ctx, id).ConfigureAwait(false);
            return;
        }

        await JsonResponses.WriteJsonAsync(ctx, 200, w => AccessJson.WriteKey(w, key)).ConfigureAwait(false);
    }

    private static async Task RevokeAsync(HttpContext ctx, IKeyStore store, VirtualKeyTable table, TimeProvider time)
    {
        var id = (string)ctx.Request.RouteValues["id"]!;
        if (await store.RevokeAsync(id, time.GetUtcNow(), ctx.RequestAborted).ConfigureAwait(false) is not { } key)
        {
            await NotFoundAsync(ctx, id).ConfigureAwait(false);
            return;
        }

        table.Apply(key);
        await JsonResponses.WriteJsonAsync(ctx, 200, w => AccessJson.WriteKey(w, key)).ConfigureAwait(false);
    }

    private static async Task RotateAsync(HttpContext ctx, IKeyStore store, VirtualKeyTable table, TimeProvider time)
    {
        var id = (string)ctx.Request.RouteValues["id"]!;
        var grace = TimeSpan.Zero;
        var (ok, doc) = await ReadBodyAsync(ctx, optional: true).ConfigureAwait(false);
        using (doc)
        {
            if (!ok)
            {
                return;
            }

            if (doc is not null
                && (doc.RootElement.ValueKind != JsonValueKind.Object
                    || doc.RootElement.EnumerateObject().Any(p => p.Name != "grace")
                    || (doc.RootElement.TryGetProperty("grace", out var g)
                        && (g.ValueKind != JsonValueKind.String || !ConfigLoader.TryParseDuration(g.GetString(), requireUnit: true, out grace) || grace < TimeSpan.Zero || grace > TimeSpan.FromDays(30)))))
            {
                await JsonResponses.BadRequestAsync(ctx, "grace", "The body is optional; when given it is {\"grace\": \"10m\"}: how long the old key keeps working (at most 30d).").ConfigureAwait(false);
                return;
            }
        }

        var old = await store.GetAsync(id, ctx.RequestAborted).ConfigureAwait(false);
        if (old is null)
        {
            await NotFoundAsync(ctx, id).ConfigureAwait(false);
            return;
        }

        var now = time.GetUtcNow();
        var (secret, hash, display, newId) = KeySecrets.Create();
        var replacement = old with { Id = newId, Hash = hash, Prefix = display, CreatedAt = now, RevokedAt = null, RotatedFrom = id };
        var ended = await store.RotateAsync(id, replacement, now + grace, now, ctx.RequestAborted).ConfigureAwait(false);
        if (ended is null)
        {
            await JsonResponses.ErrorAsync(ctx, 409, $"Key '{id}' is revoked or expired; create a new key instead.", ErrorTypes.InvalidRequest, "id", "key_not_active").ConfigureAwait(false);
            return;
        }

        table.Apply(ended);
        table.Apply(replacement);
        // The audit entry's "after" names both keys (never the new secret).
        ctx.Features.Get<AdminCaller>()!.After = AccessJson.ToJson(w => WriteRotation(w, replacement, null, ended));
        ctx.Response.Headers.CacheControl = "no-store";
        await JsonResponses.WriteJsonAsync(ctx, 200, w => WriteRotation(w, replacement, secret, ended)).ConfigureAwait(false);
    }

    private static void WriteRotation(Utf8JsonWriter w, VirtualKey replacement, string? secret, VirtualKey ended)
    {
        w.WriteStartObject();
        w.WritePropertyName("key");
        AccessJson.WriteKey(w, replacement, secret);
        w.WritePropertyName("replaced");
        AccessJson.WriteKey(w, ended);
        w.WriteEndObject();
    }

    private static Task NotFoundAsync(HttpContext ctx, string id) =>
        JsonResponses.ErrorAsync(ctx, 404, $"No key with id '{id}'.", ErrorTypes.InvalidRequest, "id", "key_not_found");
}
