using System.CommandLine;
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

    /// <summary>Runs the report over the configuration's records and migration history (<see cref="MigrationReportQuery"/>).</summary>
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
            return await MigrationReportQuery.RunAsync(database.Records, database.Search, database.Migrations, config, route, window, now, cancellationToken).ConfigureAwait(false)
                ?? throw new ArgumentException($"route '{route}' has no migration in this database");
        }
    }
}
