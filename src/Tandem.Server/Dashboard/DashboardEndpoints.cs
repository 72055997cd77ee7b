using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tandem.Migration;
using Tandem.Server.Configuration;
using Tandem.Server.Endpoints;
using Tandem.Wire;

namespace Tandem.Server.Dashboard;

/// <summary>
/// The dashboard: its front end at <c>/dashboard/</c>, sign-in and session at <c>/dashboard/api/session</c>, the
/// overview, and the migration actions (advance, roll back, pin), each recorded through <see cref="IAdminActionLog"/>.
/// The pages read everything else from the <c>/admin</c> API, which takes the session cookie for GET requests.
/// </summary>
internal static class DashboardEndpoints
{
    private static readonly string[] Commands = ["advance", "rollback", "pin"];

    public static void Map(WebApplication app)
    {
        var assets = app.Services.GetRequiredService<DashboardAssets>();
        var api = app.MapGroup("/dashboard/api");
        api.MapPost("/session", SignInAsync);
        // Answers 200 either way: the page asks before anyone has signed in, and a 401 there would be a console error.
        api.MapGet("/session", static ctx => DashboardAuth.Session(ctx) is { } session
            ? WriteSessionAsync(ctx, session)
            : JsonResponses.WriteJsonAsync(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("signed_in", false);
                w.WriteEndObject();
            }));
        var signedIn = api.MapGroup("").AddEndpointFilter<DashboardFilter>();
        signedIn.MapDelete("/session", SignOutAsync);
        signedIn.MapGet("/overview", static ctx => DashboardOverview.WriteAsync(ctx));
        signedIn.MapGet("/quality", static ctx => DashboardQuality.WriteAsync(ctx));
        signedIn.MapPost("/migrations/{route}/{command}", MigrationActionAsync);
        app.MapFallback("/dashboard/api/{**rest}", static ctx => JsonResponses.ErrorAsync(ctx, 404,
            $"Unknown endpoint {ctx.Request.Method} {ctx.Request.Path}.", ErrorTypes.InvalidRequest, null, "unknown_url"));

        // Routing ignores a trailing slash, so /dashboard lands here too: send it to /dashboard/, where relative links work.
        app.MapMethods("/dashboard/{**path}", [HttpMethods.Get, HttpMethods.Head], ctx =>
        {
            if (!ctx.Request.Path.Value!.EndsWith('/') && ctx.Request.RouteValues["path"] is null)
            {
                ctx.Response.Redirect("/dashboard/");
                return Task.CompletedTask;
            }

            return assets.ServeAsync(ctx, (string?)ctx.Request.RouteValues["path"]);
        });
    }

    private static DashboardSession Current(HttpContext ctx) => (DashboardSession)ctx.Items[typeof(DashboardSession)]!;

    /// <summary>POST form <c>key=…</c>: the admin key starts a session (cookie) and answers its CSRF token.</summary>
    private static async Task SignInAsync(HttpContext ctx)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var log = ctx.RequestServices.GetRequiredService<IAdminActionLog>();
        var time = ctx.RequestServices.GetRequiredService<TimeProvider>();
        if (!ctx.Request.HasFormContentType)
        {
            await JsonResponses.ErrorAsync(ctx, 415, "Sign in with a form: key=ADMIN_KEY (application/x-www-form-urlencoded).", ErrorTypes.InvalidRequest, "key", "unsupported_media_type").ConfigureAwait(false);
            return;
        }

        var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted).ConfigureAwait(false);
        var key = form["key"].ToString();
        if (key.Length == 0 || !state.Current.Keys.IsAdmin(key))
        {
            await log.RecordAsync(new AdminAction(time.GetUtcNow(), new DashboardPrincipal("anonymous", "none"), "session.sign_in", "dashboard", "refused: wrong key"), ctx.RequestAborted).ConfigureAwait(false);
            await JsonResponses.ErrorAsync(ctx, 401, state.Current.Keys.HasAdminKey ? "That is not the admin key." : "No admin key is configured (auth.admin_key_env).",
                ErrorTypes.InvalidRequest, "key", "invalid_api_key").ConfigureAwait(false);
            return;
        }

        var sessions = ctx.RequestServices.GetRequiredService<DashboardSessions>();
        // A new id at each sign-in: an id planted before sign-in is never promoted (session fixation).
        sessions.Remove(ctx.Request.Cookies[DashboardAuth.CookieName]);
        var (id, session) = sessions.Create(DashboardPrincipal.Admin);
        DashboardAuth.SetCookie(ctx, id);
        await log.RecordAsync(new AdminAction(time.GetUtcNow(), session.Principal, "session.sign_in", "dashboard", "ok"), ctx.RequestAborted).ConfigureAwait(false);
        await WriteSessionAsync(ctx, session).ConfigureAwait(false);
    }

    private static Task SignOutAsync(HttpContext ctx)
    {
        ctx.RequestServices.GetRequiredService<DashboardSessions>().Remove(ctx.Request.Cookies[DashboardAuth.CookieName]);
        DashboardAuth.ClearCookie(ctx);
        ctx.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    private static Task WriteSessionAsync(HttpContext ctx, DashboardSession session)
    {
        ctx.Response.Headers.CacheControl = "no-store";
        return JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("signed_in", true);
            w.WriteString("name", session.Principal.Name);
            w.WriteString("role", session.Principal.Role);
            w.WriteString("csrf_token", session.CsrfToken);
            w.WriteString("expires", session.Expires);
            w.WriteEndObject();
        });
    }

    /// <summary>Advance, roll back or pin a route's migration as the signed-in principal (recorded as the history's trigger too).</summary>
    private static async Task MigrationActionAsync(HttpContext ctx)
    {
        var route = (string)ctx.Request.RouteValues["route"]!;
        var command = (string)ctx.Request.RouteValues["command"]!;
        var session = Current(ctx);
        var log = ctx.RequestServices.GetRequiredService<IAdminActionLog>();
        var time = ctx.RequestServices.GetRequiredService<TimeProvider>();
        if (!Commands.Contains(command))
        {
            await JsonResponses.ErrorAsync(ctx, 404, $"Unknown migration action '{command}' (advance, rollback, pin).", ErrorTypes.InvalidRequest, "command", "unknown_url").ConfigureAwait(false);
            return;
        }

        if (session.Principal.Role != DashboardPrincipal.Admin.Role)
        {
            await JsonResponses.ErrorAsync(ctx, 403, $"Role '{session.Principal.Role}' may not change migrations.", ErrorTypes.InvalidRequest, null, "forbidden").ConfigureAwait(false);
            return;
        }

        var migrations = ctx.RequestServices.GetRequiredService<MigrationCoordinator>();
        MigrationState next;
        try
        {
            next = await migrations.CommandAsync(route, command, "dashboard:" + session.Principal.Name, ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (MigrationException e)
        {
            await log.RecordAsync(new AdminAction(time.GetUtcNow(), session.Principal, "migration." + command, route, "refused: " + e.Message), ctx.RequestAborted).ConfigureAwait(false);
            await JsonResponses.ErrorAsync(ctx, 409, e.Message, ErrorTypes.InvalidRequest, null, "migration_conflict").ConfigureAwait(false);
            return;
        }

        await log.RecordAsync(new AdminAction(time.GetUtcNow(), session.Principal, "migration." + command, route, "ok"), ctx.RequestAborted).ConfigureAwait(false);
        await JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("route", route);
            var state = ctx.RequestServices.GetRequiredService<GatewayState>().Current;
            w.WriteString("stage", state.Routes.TryGetValue(route, out var r) ? next.Describe(MigrationCoordinator.SettingsFor(r, next).CanarySteps) : next.Stage.ToString().ToLowerInvariant());
            w.WriteBoolean("pinned", next.Pinned);
            w.WriteNumber("version", next.Version);
            w.WriteString("by", session.Principal.Name);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }
}
