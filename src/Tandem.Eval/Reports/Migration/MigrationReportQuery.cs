using System.Text.Json;
using Tandem.Configuration;
using Tandem.Migration;
using Tandem.Storage;

namespace Tandem.Eval.Reports.Migration;

/// <summary>
/// The migration success report over a gateway's records and migration history: what <c>tandem report migration</c>
/// and <c>GET /admin/reports/migration/{route}</c> (and so the dashboard's page) both run.
/// </summary>
internal static class MigrationReportQuery
{
    /// <summary>The report of <paramref name="route"/> over <c>[now − window, now]</c>; null when the route has no migration.</summary>
    public static async Task<MigrationReport?> RunAsync(IRecordStore records, IRecordSearch search, IMigrationStore migrations, TandemConfig config,
        string route, TimeSpan window, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(search);
        ArgumentNullException.ThrowIfNull(migrations);
        ArgumentNullException.ThrowIfNull(config);
        var state = (await migrations.ListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(s => s.Route == route);
        if (state is null)
        {
            return null;
        }

        var from = now - window;
        var to = now.AddMilliseconds(1);
        var usage = await records.QueryUsageAsync(from, to, cancellationToken).ConfigureAwait(false);
        var costs = Tandem.Costs.CostReportBuilder.Build(config, usage.Rows.Where(r => r.Route == route).ToList(), from, now, usage.FirstSeen, Tandem.Costs.CostGrouping.Deployment, null);
        async Task<SideFigures> SideAsync(string deployment)
        {
            var g = costs.Groups.FirstOrDefault(g => g.Name == deployment);
            var latency = await search.LatencyAsync(from, to, deployment, cancellationToken).ConfigureAwait(false);
            return new SideFigures { Deployment = deployment, Requests = g?.Requests ?? 0, Errors = g?.Errors ?? 0, Cost = g?.Spend ?? 0, P95Ms = latency?.P95Ms };
        }

        var before = await SideAsync(state.Incumbent).ConfigureAwait(false);
        var after = await SideAsync(state.Candidate).ConfigureAwait(false);
        var events = await migrations.EventsAsync(route, 500, null, cancellationToken).ConfigureAwait(false);
        var latest = (await migrations.EvaluationsAsync(route, 1, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        double? agreement = null, judge = null;
        if (latest is not null)
        {
            using var evidence = JsonDocument.Parse(latest.Evidence);
            agreement = evidence.RootElement.TryGetProperty("agreement", out var ag) && ag.ValueKind == JsonValueKind.Number ? ag.GetDouble() : null;
            judge = evidence.RootElement.TryGetProperty("judge_score", out var js) && js.ValueKind == JsonValueKind.Number ? js.GetDouble() : null;
        }

        // A migration started by command has no configured steps: the defaults, as MigrationCoordinator.SettingsFor gives it.
        var steps = config.Routes.FirstOrDefault(r => r.Name == route)?.Migration?.CanarySteps is { Count: > 0 } configured ? configured : new MigrationConfig().CanarySteps;
        return MigrationReportBuilder.Build(route, state.Describe(steps), before, after, events, agreement, judge, from, now);
    }
}
