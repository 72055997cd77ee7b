using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tandem.Migration;
using Tandem.Runtime;
using Tandem.Server.Configuration;
using Tandem.Wire;

namespace Tandem.Server.Admin;

/// <summary>The admin API of migrations: status with gate table and history, and stage commands.</summary>
internal static class MigrationEndpoints
{
    public static void Map(IEndpointRouteBuilder app, GatewayState state, MigrationCoordinator migrations, TimeProvider time)
    {
        app.MapGet("/admin/migrations", ctx => Guard(ctx, state, () => StatusAsync(ctx, state, migrations, time, null)));
        app.MapGet("/admin/migrations/{route}", ctx => Guard(ctx, state, () => StatusAsync(ctx, state, migrations, time, (string)ctx.Request.RouteValues["route"]!)));
        app.MapPost("/admin/migrations/{route}/start", (RequestDelegate)(ctx => Guard(ctx, state, async () =>
        {
            var route = (string)ctx.Request.RouteValues["route"]!;
            string? to = null;
            try
            {
                using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted).ConfigureAwait(false);
                to = doc.RootElement.TryGetProperty("to", out var t) ? t.GetString() : null;
            }
            catch (JsonException)
            {
            }

            if (string.IsNullOrEmpty(to))
            {
                await GatewayApp.WriteJsonAsync(ctx, 400, w => GatewayApp.WriteError(w, "Body must be {\"to\": \"DEPLOYMENT\"}.", ErrorTypes.InvalidRequest, "to", "missing_required_parameter")).ConfigureAwait(false);
                return;
            }

            await RunAsync(ctx, state, migrations, time, route, async () => await migrations.StartMigrationAsync(route, to, ctx.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        })));
        foreach (var command in (string[])["advance", "rollback", "pin"])
        {
            app.MapPost("/admin/migrations/{route}/" + command, (RequestDelegate)(ctx => Guard(ctx, state, () =>
            {
                var route = (string)ctx.Request.RouteValues["route"]!;
                return RunAsync(ctx, state, migrations, time, route, async () => await migrations.CommandAsync(route, command, ctx.RequestAborted).ConfigureAwait(false));
            })));
        }

        app.MapPost("/admin/migrations/{route}/evaluate", ctx => Guard(ctx, state, async () =>
        {
            var route = (string)ctx.Request.RouteValues["route"]!;
            await migrations.EvaluateAsync(route, ctx.RequestAborted).ConfigureAwait(false);
            await StatusAsync(ctx, state, migrations, time, route).ConfigureAwait(false);
        }));
    }

    private static Task Guard(HttpContext ctx, GatewayState state, Func<Task> action) =>
        GatewayApp.IsAdmin(ctx, state)
            ? action()
            : GatewayApp.WriteJsonAsync(ctx, 401, w => GatewayApp.WriteError(w, "The admin API needs the admin key.", ErrorTypes.InvalidRequest, null, "invalid_api_key"));

    private static async Task RunAsync(HttpContext ctx, GatewayState state, MigrationCoordinator migrations, TimeProvider time, string route, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (MigrationException e)
        {
            await GatewayApp.WriteJsonAsync(ctx, 409, w => GatewayApp.WriteError(w, e.Message, ErrorTypes.InvalidRequest, null, "migration_conflict")).ConfigureAwait(false);
            return;
        }

        await StatusAsync(ctx, state, migrations, time, route).ConfigureAwait(false);
    }

    private static async Task StatusAsync(HttpContext ctx, GatewayState state, MigrationCoordinator migrations, TimeProvider time, string? only)
    {
        await migrations.SyncWithConfigAsync(ctx.RequestAborted).ConfigureAwait(false);
        var snapshot = state.Current;
        var items = new List<(MigrationState State, MigrationConfigView View, GateReport Report, IReadOnlyList<MigrationEvent> History)>();
        foreach (var s in migrations.States.Values.OrderBy(s => s.Route, StringComparer.Ordinal))
        {
            if ((only is not null && s.Route != only) || !snapshot.Routes.TryGetValue(s.Route, out var route))
            {
                continue;
            }

            var settings = MigrationCoordinator.SettingsFor(route, s);
            var report = await migrations.ReportAsync(s, settings, ctx.RequestAborted).ConfigureAwait(false);
            var store = ctx.RequestServices.GetService(typeof(IMigrationStore)) as IMigrationStore;
            var history = store is null ? [] : await store.EventsAsync(s.Route, 20, ctx.RequestAborted).ConfigureAwait(false);
            items.Add((s, new MigrationConfigView(settings.Auto, settings.CanarySteps), report, history));
        }

        if (only is not null && items.Count == 0)
        {
            await GatewayApp.WriteJsonAsync(ctx, 404, w => GatewayApp.WriteError(w, $"Route '{only}' has no migration.", ErrorTypes.InvalidRequest, "route", "not_found")).ConfigureAwait(false);
            return;
        }

        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        await GatewayApp.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("migrations");
            foreach (var (s, view, report, history) in items)
            {
                w.WriteStartObject();
                w.WriteString("route", s.Route);
                w.WriteString("incumbent", s.Incumbent);
                w.WriteString("candidate", s.Candidate);
                w.WriteString("stage", s.Describe(view.CanarySteps));
                w.WriteBoolean("auto", view.Auto);
                w.WriteBoolean("pinned", s.Pinned);
                var candidateShare = s.Stage switch
                {
                    MigrationStage.Canary => view.CanarySteps[Math.Min(s.CanaryStep, view.CanarySteps.Count - 1)],
                    MigrationStage.Cutover or MigrationStage.Full => 100,
                    _ => 0,
                };
                w.WriteStartObject("traffic_percent");
                w.WriteNumber(s.Incumbent, 100 - candidateShare);
                w.WriteNumber(s.Candidate, candidateShare);
                w.WriteEndObject();
                w.WriteString("started_at", s.StartedAt);
                w.WriteString("stage_entered_at", s.StageEnteredAt);
                w.WriteNumber("version", s.Version);
                w.WritePropertyName("gates");
                EvidenceJson.Write(w, report);
                w.WriteStartObject("shadow");
                w.WriteNumber("completed", migrations.CompletedShadows);
                w.WriteNumber("dropped", migrations.DroppedShadows);
                w.WriteEndObject();
                w.WriteStartArray("retirements");
                foreach (var name in (string[])[s.Incumbent, s.Candidate])
                {
                    if (snapshot.Deployments.TryGetValue(name, out var d) && RetirementTable.For(d.UpstreamModel, d.Config.Retires) is { } r)
                    {
                        w.WriteStartObject();
                        w.WriteString("deployment", name);
                        w.WriteString("model", d.UpstreamModel);
                        w.WriteString("retires", r.Retires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                        w.WriteNumber("days_left", r.Retires.DayNumber - today.DayNumber);
                        w.WriteString("source", r.Source);
                        w.WriteEndObject();
                    }
                }

                w.WriteEndArray();
                w.WriteStartArray("history");
                foreach (var e in history)
                {
                    w.WriteStartObject();
                    w.WriteString("time", e.Time);
                    w.WriteString("kind", e.Kind);
                    w.WriteString("from", e.From);
                    w.WriteString("to", e.To);
                    w.WriteString("trigger", e.Trigger);
                    w.WritePropertyName("evidence");
                    w.WriteRawValue(e.Evidence);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private sealed record MigrationConfigView(bool Auto, IReadOnlyList<double> CanarySteps);
}
