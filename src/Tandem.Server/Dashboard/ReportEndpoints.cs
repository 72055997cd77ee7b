using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Tandem.Eval.Reports.Decision;
using Tandem.Eval.Reports.Migration;
using Tandem.Migration;
using Tandem.Server.Configuration;
using Tandem.Server.Endpoints;
using Tandem.Storage;
using Tandem.Wire;

namespace Tandem.Server.Dashboard;

/// <summary>
/// The two reports of issue 15 over the gateway's own records, the same ones the CLI writes (one query each in
/// Tandem.Eval): <c>POST /admin/reports/decision?since=30d</c> (body: the checklist's answers, docs/DECISION.md;
/// <c>GET</c> answers the checklist's defaults and choices) and
/// <c>GET /admin/reports/migration/{route}?since=90d&amp;format=json|html</c>. Both only read (viewer role). The
/// dashboard posts its decision form to <c>POST /dashboard/api/reports/decision</c>, which checks the session's CSRF
/// token like every dashboard action (a POST with the cookie alone is refused under <c>/admin</c>); it reads the
/// migration report from <c>/admin</c> with its cookie, as it reads everything else.
/// </summary>
internal static class ReportEndpoints
{
    public static void MapAdmin(IEndpointRouteBuilder admin)
    {
        admin.MapGet("/reports/decision", static ctx => ChecklistAsync(ctx));
        admin.MapPost("/reports/decision", static ctx => DecisionAsync(ctx));
        admin.MapGet("/reports/migration/{route}", static ctx => MigrationAsync(ctx));
    }

    public static void MapDashboard(IEndpointRouteBuilder signedIn) =>
        signedIn.MapPost("/reports/decision", static ctx => DecisionAsync(ctx));

    /// <summary>The checklist: the answers' defaults and the choices the rules and the sizing table know (the dashboard's form).</summary>
    private static Task ChecklistAsync(HttpContext ctx)
    {
        var table = GpuTable.Default;
        var defaults = System.Text.Json.JsonSerializer.Serialize(new DecisionAnswers(), DecisionJsonContext.Default.DecisionAnswers);
        return JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            static void Names(System.Text.Json.Utf8JsonWriter w, string name, IEnumerable<string> values)
            {
                w.WriteStartArray(name);
                foreach (var v in values)
                {
                    w.WriteStringValue(v);
                }

                w.WriteEndArray();
            }

            w.WriteStartObject();
            w.WritePropertyName("defaults");
            w.WriteRawValue(defaults);
            w.WriteString("since", "30d");
            Names(w, "privacy", DecisionReportBuilder.PrivacyAnswers);
            Names(w, "customisation", DecisionReportBuilder.CustomisationAnswers);
            Names(w, "team_skills", DecisionReportBuilder.SkillAnswers);
            w.WriteStartArray("model_size");
            foreach (var m in table.Models)
            {
                w.WriteStartObject();
                w.WriteString("name", m.Name);
                w.WriteString("label", m.Label);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            Names(w, "quantisation", table.Quantisations.Select(q => q.Name));
            Names(w, "gpus", table.Gpus.Select(g => g.Name));
            w.WriteEndObject();
        });
    }

    private static async Task DecisionAsync(HttpContext ctx)
    {
        var services = ctx.RequestServices;
        var since = ctx.Request.Query["since"];
        if (!CostReportQuery.TryParseSince(since, out var window))
        {
            await JsonResponses.BadRequestAsync(ctx, "since", $"'{since}' is not a window such as 30d, 12h or 90m (longest 3660d).").ConfigureAwait(false);
            return;
        }

        DecisionAnswers answers;
        try
        {
            answers = await DecisionReportQuery.ReadAnswersAsync(ctx.Request.Body, ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            await JsonResponses.BadRequestAsync(ctx, "answers", e.Message).ConfigureAwait(false);
            return;
        }

        var config = services.GetRequiredService<GatewayState>().Current.Config;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var report = await DecisionReportQuery.RunAsync(services.GetRequiredService<IRecordStore>(), services.GetRequiredService<IRecordSearch>(),
            config, answers, window, now, ctx.RequestAborted).ConfigureAwait(false);
        ctx.Response.Headers.CacheControl = "no-store";
        await JsonResponses.WriteBytesAsync(ctx, 200, Encoding.UTF8.GetBytes(DecisionReportText.Json(report))).ConfigureAwait(false);
    }

    private static async Task MigrationAsync(HttpContext ctx)
    {
        var services = ctx.RequestServices;
        var route = (string)ctx.Request.RouteValues["route"]!;
        var query = ctx.Request.Query;
        var since = query["since"].ToString() is { Length: > 0 } s ? s : "90d";
        if (!CostReportQuery.TryParseSince(since, out var window))
        {
            await JsonResponses.BadRequestAsync(ctx, "since", $"'{since}' is not a window such as 90d, 12h or 90m (longest 3660d).").ConfigureAwait(false);
            return;
        }

        var format = query["format"].ToString() is { Length: > 0 } f ? f : "json";
        if (format is not ("json" or "html"))
        {
            await JsonResponses.BadRequestAsync(ctx, "format", $"'{format}' is not one of json, html.").ConfigureAwait(false);
            return;
        }

        var config = services.GetRequiredService<GatewayState>().Current.Config;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var report = await MigrationReportQuery.RunAsync(services.GetRequiredService<IRecordStore>(), services.GetRequiredService<IRecordSearch>(),
            services.GetRequiredService<IMigrationStore>(), config, route, window, now, ctx.RequestAborted).ConfigureAwait(false);
        if (report is null)
        {
            await JsonResponses.ErrorAsync(ctx, 404, $"Route '{route}' has no migration.", ErrorTypes.InvalidRequest, "route", "not_found").ConfigureAwait(false);
            return;
        }

        ctx.Response.Headers.CacheControl = "no-store";
        var file = new ContentDispositionHeaderValue("inline");
        file.SetHttpFileName(report.Route + "-migration." + format);
        ctx.Response.Headers.ContentDisposition = file.ToString();
        if (format == "json")
        {
            await JsonResponses.WriteBytesAsync(ctx, 200, Encoding.UTF8.GetBytes(MigrationReportHtml.Json(report))).ConfigureAwait(false);
            return;
        }

        // The page is the CLI's self-contained file: inline CSS, no script, nothing fetched; the policy says exactly that.
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/html; charset=utf-8";
        ctx.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        await ctx.Response.WriteAsync(MigrationReportHtml.Render(report), ctx.RequestAborted).ConfigureAwait(false);
    }
}
