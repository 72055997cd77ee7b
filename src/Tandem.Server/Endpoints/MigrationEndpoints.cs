using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tandem.Migration;
using Tandem.Runtime;
using Tandem.Server.Configuration;
using Tandem.Storage;
using Tandem.Wire;

namespace Tandem.Server.Endpoints;

/// <summary>
/// The admin API of migrations: status with gate table, stage-change history (paged with <c>history_limit</c> and
/// <c>history_before</c>) and gate evaluation runs, and stage commands. While the database is down every endpoint
/// answers 503 <c>storage_unavailable</c>.
/// </summary>
internal static class MigrationEndpoints
{
    private const int DefaultHistory = 20;
    private const int MaxHistory = 500;
    private const int Evaluations = 10;

    public static void Map(IEndpointRouteBuilder admin, GatewayState state, MigrationCoordinator migrations, TimeProvider time)
    {
        admin.MapGet("/migrations", ctx => StatusAsync(ctx, state, migrations, time, null));
        admin.MapGet("/migrations/{route}", ctx => StatusAsync(ctx, state, migrations, time, (string)ctx.Request.RouteValues["route"]!));
        admin.MapPost("/migrations/{route}/start", (RequestDelegate)(async ctx =>
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
                await JsonResponses.WriteJsonAsync(ctx, 400, w => JsonResponses.WriteError(w, "Body must be {\"to\": \"DEPLOYMENT\"}.", ErrorTypes.InvalidRequest, "to", "missing_required_parameter")).ConfigureAwait(false);
                return;
            }

            await RunAsync(ctx, state, migrations, time, route, async () => await migrations.StartMigrationAsync(route, to, ctx.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        }));
        foreach (var command in (string[])["advance", "rollback", "pin"])
        {
            admin.MapPost("/migrations/{route}/" + command, (RequestDelegate)(ctx =>
            {
                var route = (string)ctx.Request.RouteValues["route"]!;
                return RunAsync(ctx, state, migrations, time, route, async () => await migrations.CommandAsync(route, command, ctx.RequestAborted).ConfigureAwait(false));
            }));
        }

        admin.MapPost("/migrations/{route}/evaluate", async ctx =>
        {
            var route = (string)ctx.Request.RouteValues["route"]!;
            await migrations.EvaluateAsync(route, ctx.RequestAborted).ConfigureAwait(false);
            await StatusAsync(ctx, state, migrations, time, route).ConfigureAwait(false);
        });
    }

    /// <summary>Reads <c>history_limit</c> (1–500, default 20) and <c>history_before</c> (an event id); false after writing a 400.</summary>
    private static async Task<(bool Ok, int Limit, long? Before)> HistoryPageAsync(HttpContext ctx)
    {
        var query = ctx.Request.Query;
        var limit = DefaultHistory;
        long? before = null;
        if (query["history_limit"].ToString() is { Length: > 0 } l
            && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxHistory))
        {
            await JsonResponses.WriteJsonAsync(ctx, 400, w => JsonResponses.WriteError(w, $"history_limit must be a whole number from 1 to {MaxHistory}.",
                ErrorTypes.InvalidRequest, "history_limit", "invalid_parameter")).ConfigureAwait(false);
            return (false, 0, null);
        }

        if (query["history_before"].ToString() is { Length: > 0 } b)
        {
            if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                await JsonResponses.WriteJsonAsync(ctx, 400, w => JsonResponses.WriteError(w, "history_before must be an event id from a previous page's history_next_before.",
                    ErrorTypes.InvalidRequest, "history_before", "invalid_parameter")).ConfigureAwait(false);
                return (false, 0, null);
            }

            before = id;
        }

        return (true, limit, before);
    }

    private static async Task RunAsync(HttpContext ctx, GatewayState state, MigrationCoordinator migrations, TimeProvider time, string route, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (MigrationException e)
        {
            await JsonResponses.WriteJsonAsync(ctx, 409, w => JsonResponses.WriteError(w, e.Message, ErrorTypes.InvalidRequest, null, "migration_conflict")).ConfigureAwait(false);
            return;
        }

        await StatusAsync(ctx, state, migrations, time, route).ConfigureAwait(false);
    }

    private static async Task StatusAsync(HttpContext ctx, GatewayState state, MigrationCoordinator migrations, TimeProvider time, string? only)
    {
        var (ok, limit, before) = await HistoryPageAsync(ctx).ConfigureAwait(false);
        if (!ok)
        {
            return;
        }

        await migrations.SyncWithConfigAsync(ctx.RequestAborted).ConfigureAwait(false);
        var store = ctx.RequestServices.GetRequiredService<IMigrationStore>();
        var snapshot = state.Current;
        var items = new List<(MigrationState State, MigrationConfigView View, GateReport Report, IReadOnlyList<MigrationEvent> History, IReadOnlyList<MigrationEvaluation> Evaluations)>();
        foreach (var s in migrations.States.Values.OrderBy(s => s.Route, StringComparer.Ordinal))
        {
            if ((only is not null && s.Route != only) || !snapshot.Routes.TryGetValue(s.Route, out var route))
            {
                continue;
            }

            var settings = MigrationCoordinator.SettingsFor(route, s);
            var report = await migrations.ReportAsync(s, settings, ctx.RequestAborted).ConfigureAwait(false);
            // One more than the page, to tell whether an older page exists.
            var history = await store.EventsAsync(s.Route, limit + 1, before, ctx.RequestAborted).ConfigureAwait(false);
            var evaluations = await store.EvaluationsAsync(s.Route, Evaluations, ctx.RequestAborted).ConfigureAwait(false);
            items.Add((s, new MigrationConfigView(settings.Auto, settings.CanarySteps, settings.HoldLimit), report, history, evaluations));
        }

        if (only is not null && items.Count == 0)
        {
            await JsonResponses.WriteJsonAsync(ctx, 404, w => JsonResponses.WriteError(w, $"Route '{only}' has no migration.", ErrorTypes.InvalidRequest, "route", "not_found")).ConfigureAwait(false);
            return;
        }

        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var lifecycle = ctx.RequestServices.GetRequiredService<LifecycleWatch>();
        await JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("migrations");
            foreach (var (s, view, report, history, evaluations) in items)
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
                var active = s.Stage is MigrationStage.Shadow or MigrationStage.Canary or MigrationStage.Cutover;
                w.WriteBoolean("active", active);

                // A finished migration (full or rolled back) has no gates left to pass: no table of them.
                w.WritePropertyName("gates");
                if (active)
                {
                    EvidenceJson.Write(w, report);
                }
                else
                {
                    w.WriteNullValue();
                }

                if (active && migrations.Holds.TryGetValue(s.Route, out var hold))
                {
                    w.WriteStartObject("held");
                    w.WriteStartArray("by");
                    foreach (var gate in hold.Gates)
                    {
                        w.WriteStringValue(gate);
                    }

                    w.WriteEndArray();
                    w.WriteString("since", hold.Since);
                    w.WriteNumber("for_seconds", Math.Max(0, (long)(time.GetUtcNow() - hold.Since).TotalSeconds));
                    if (view.HoldLimit is { } holdLimit)
                    {
                        w.WriteString("hold_limit", holdLimit);
                    }

                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull("held");
                }

                w.WriteStartObject("shadow");
                w.WriteNumber("completed", migrations.CompletedShadows);
                w.WriteNumber("dropped", migrations.DroppedShadows);
                w.WriteEndObject();
                w.WriteStartArray("retirements");
                // Lifecycle of what the route still depends on: after full, not the incumbent it left (unless a fallback).
                var dependsOn = s.Stage switch
                {
                    MigrationStage.Full => snapshot.Routes[s.Route].Config.Fallbacks.Contains(s.Incumbent) ? [s.Candidate, s.Incumbent] : [s.Candidate],
                    MigrationStage.RolledBack => new[] { s.Incumbent },
                    _ => [s.Incumbent, s.Candidate],
                };
                foreach (var name in dependsOn)
                {
                    if (snapshot.Deployments.TryGetValue(name, out var d) && lifecycle.For(d) is { } r)
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
                // Stage changes first (newest first, one page), then the gate evaluation runs.
                w.WriteStartArray("history");
                foreach (var e in history.Take(limit))
                {
                    w.WriteStartObject();
                    w.WriteNumber("id", e.Id);
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
                if (history.Count > limit)
                {
                    w.WriteNumber("history_next_before", history[limit - 1].Id);
                }
                else
                {
                    w.WriteNull("history_next_before");
                }

                w.WriteStartArray("evaluations");
                foreach (var e in evaluations)
                {
                    w.WriteStartObject();
                    w.WriteString("stage", e.Stage);
                    w.WriteString("outcome", e.Outcome);
                    w.WriteString("first_time", e.FirstTime);
                    w.WriteString("time", e.Time);
                    w.WriteNumber("count", e.Count);
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

    private sealed record MigrationConfigView(bool Auto, IReadOnlyList<double> CanarySteps, string? HoldLimit);
}
