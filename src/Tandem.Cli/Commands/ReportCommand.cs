using System.CommandLine;
using Tandem.Configuration;
using Tandem.Eval.Reports.Decision;
using Tandem.Storage;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem report decision</c>: stay, hybrid or migrate, from the records and the team's answers.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var answers = new Option<string>("--answers") { Description = "The checklist's answers and prices (JSON; see docs/DECISION.md)", Required = true };
        var since = new Option<string>("--since") { Description = "Window of traffic to measure (default 30d)", DefaultValueFactory = _ => "30d" };
        var format = new Option<string>("--format") { Description = "text or json (default text)", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var config = new Option<string?>("--config", "-c") { Description = "Configuration file (YAML or JSON). Default: ./tandem.yaml" };
        var decision = new Command("decision", "Should this team self-host? Stay, hybrid or migrate with reasons, TCO now and at 10x, break-even volume and GPU sizing.")
        {
            answers, since, format, config,
        };
        decision.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var report = await DecisionAsync(parse.GetValue(config) ?? "tandem.yaml", parse.GetValue(answers)!, parse.GetValue(since), TimeProvider.System.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                await Console.Out.WriteAsync(parse.GetValue(format) == "json" ? DecisionReportText.Json(report) : DecisionReportText.Render(report)).ConfigureAwait(false);
                return 0;
            }
            catch (ConfigException e)
            {
                await Console.Error.WriteLineAsync("tandem: " + e.Message).ConfigureAwait(false);
                return 1;
            }
            catch (Exception e) when (e is ArgumentException or IOException or System.Text.Json.JsonException)
            {
                await Console.Error.WriteLineAsync("tandem report decision: " + e.Message).ConfigureAwait(false);
                return 2;
            }
        });
        return new Command("report", "Reports for deciding and steering a migration.") { decision, MigrationReportCommand.Create() };
    }

    /// <summary>Reads the answers file and runs the report over the configuration's records (<see cref="DecisionReportQuery"/>).</summary>
    internal static async Task<DecisionReport> DecisionAsync(string configPath, string answersPath, string? since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var config = ConfigLoader.LoadFile(configPath, ConfigUse.Tool);
        if (!CostReportQuery.TryParseSince(since, out var window))
        {
            throw new ArgumentException($"--since: '{since}' is not a window such as 30d, 12h or 90m");
        }

        DecisionAnswers answers;
        await using (var file = File.OpenRead(answersPath))
        {
            try
            {
                answers = await DecisionReportQuery.ReadAnswersAsync(file, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"--answers: {answersPath}: {e.Message}", e);
            }
        }

        var database = StorageFactory.Open(config.Storage, Path.GetDirectoryName(Path.GetFullPath(configPath))!);
        await using (database.ConfigureAwait(false))
        {
            await database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            return await DecisionReportQuery.RunAsync(database.Records, database.Search, config, answers, window, now, cancellationToken).ConfigureAwait(false);
        }
    }
}
