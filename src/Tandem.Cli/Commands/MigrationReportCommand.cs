using System.CommandLine;
using System.Text.Json;
using Tandem.Configuration;
using Tandem.Eval.Reports.Migration;
using Tandem.Storage;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem report migration ROUTE</c>: did the migration succeed? Self-contained HTML and JSON.</summary>
internal static class MigrationReportCommand
{
    public static Command Create()
    {
        var route = new Argument<string>("route") { Description = "The route whose migration to report" };
        var since = new Option<string>("--since") { Description = "Window of traffic (default 90d)", DefaultValueFactory = _ => "90d" };
        var output = new Option<string>("--out") { Description = "Folder for ROUTE-migration.html and .json (default: current folder)", DefaultValueFactory = _ => "." };
        var config = new Option<string?>("--config", "-c") { Description = "Configuration file (YAML or JSON). Default: ./tandem.yaml" };
        var command = new Command("migration", "Before/after cost per 1,000 requests, quality, latency, error rate, traffic share and time in each stage of a route's migration.")
        {
            route, since, output, config,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var report = await BuildAsync(parse.GetValue(config) ?? "tandem.yaml", parse.GetValue(route)!, parse.GetValue(since), TimeProvider.System.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                var dir = parse.GetValue(output) ?? ".";
                Directory.CreateDirectory(dir);
                var html = Path.Combine(dir, report.Route + "-migration.html");
                var json = Path.Combine(dir, report.Route + "-migration.json");
                await File.WriteAllTextAsync(html, MigrationReportHtml.Render(report), cancellationToken).ConfigureAwait(false);
                await File.WriteAllTextAsync(json, MigrationReportHtml.Json(report), cancellationToken).ConfigureAwait(false);
                await Console.Out.WriteLineAsync($"wrote {html} and {json}").ConfigureAwait(false);
                return 0;
            }
            catch (ConfigException e)
            {
                await Console.Error.WriteLineAsync("tandem: " + e.Message).ConfigureAwait(false);
                return 1;
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync("tandem report migration: " + e.Message).ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }

    internal static async Task<MigrationReport> BuildAsync(string configPath, string route, string? since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var config = ConfigLoader.LoadFile(configPath, ConfigUse.Tool);
        if (!CostReportQuery.TryParseSince(since, out var window))
        {
            throw new ArgumentException($"--since: '{since}' is not a window such as 90d, 12h or 90m");
        }

        var database = StorageFactory.Open(config.Storage, Path.GetDirectoryName(Path.GetFullPath(configPath))!);
        await using (database.ConfigureAwait(false))
        {
            await database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            var state = (await database.Migrations.ListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(s => s.Route == route)
                ?? throw new ArgumentException($"route '{route}' has no migration in this database");
            var from = now - window;
            var usage = await database.Records.QueryUsageAsync(from, now.AddMilliseconds(1), cancellationToken).ConfigureAwait(false);
            var costs = Tandem.Costs.CostReportBuilder.Build(config, usage.Rows.Where(r => r.Route == route).ToList(), from, now, usage.FirstSeen, Tandem.Costs.CostGrouping.Deployment, null);
            async Task<SideFigures> SideAsync(string deployment)
            {
                var g = costs.Groups.FirstOrDefault(g => g.Name == deployment);
                var latency = await database.Search.LatencyAsync(from, now.AddMilliseconds(1), deployment, cancellationToken).ConfigureAwait(false);
                return new SideFigures { Deployment = deployment, Requests = g?.Requests ?? 0, Errors = g?.Errors ?? 0, Cost = g?.Spend ?? 0, P95Ms = latency?.P95Ms };
            }

            var before = await SideAsync(state.Incumbent).ConfigureAwait(false);
            var after = await SideAsync(state.Candidate).ConfigureAwait(false);
            var events = await database.Migrations.EventsAsync(route, 500, null, cancellationToken).ConfigureAwait(false);
            var latest = (await database.Migrations.EvaluationsAsync(route, 1, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
            double? agreement = null, judge = null;
            if (latest is not null)
            {
                using var evidence = JsonDocument.Parse(latest.Evidence);
                agreement = evidence.RootElement.TryGetProperty("agreement", out var ag) && ag.ValueKind == JsonValueKind.Number ? ag.GetDouble() : null;
                judge = evidence.RootElement.TryGetProperty("judge_score", out var js) && js.ValueKind == JsonValueKind.Number ? js.GetDouble() : null;
            }

            var stage = config.Routes.FirstOrDefault(r => r.Name == route)?.Migration?.CanarySteps is { Count: > 0 } steps ? state.Describe(steps) : state.Describe([5, 25, 50]);
            return MigrationReportBuilder.Build(route, stage, before, after, events, agreement, judge, from, now);
        }
    }
}
