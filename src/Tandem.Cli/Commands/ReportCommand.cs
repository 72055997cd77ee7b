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

    /// <summary>Measures the window's traffic from the configuration's records and builds the report.</summary>
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
            answers = await System.Text.Json.JsonSerializer.DeserializeAsync(file, DecisionJsonContext.Default.DecisionAnswers, cancellationToken).ConfigureAwait(false)
                ?? throw new ArgumentException($"--answers: {answersPath} is empty");
        }

        var database = StorageFactory.Open(config.Storage, Path.GetDirectoryName(Path.GetFullPath(configPath))!);
        await using (database.ConfigureAwait(false))
        {
            await database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            var costs = await CostReportQuery.RunAsync(database.Records, config, window, Tandem.Costs.CostGrouping.Deployment, null, now, cancellationToken).ConfigureAwait(false);
            var peaks = await database.Search.PeaksAsync(now - window, now.AddMilliseconds(1), cancellationToken).ConfigureAwait(false);
            var traffic = new TrafficProfile
            {
                Days = costs.ObservedDays,
                Requests = costs.Requests,
                PromptTokens = costs.Groups.Sum(g => g.PromptTokens),
                CompletionTokens = costs.Groups.Sum(g => g.CompletionTokens),
                PeakTokensPerSecond = peaks.PeakMinuteTokens / 60.0,
                P95ContextTokens = (int)Math.Min(int.MaxValue, peaks.P95ContextTokens),
                // Token-priced spend: what the API bill is for this traffic (fixed capacity costs are not an API's).
                ApiSpend = costs.Spend - costs.FixedSpend,
                SensitiveRoutes = [.. config.Routes.Where(r => r.Capture != CaptureModes.Off || r.Rules.Any(rule => rule.When.Pii is { Count: > 0 })).Select(r => r.Name)],
            };
            return DecisionReportBuilder.Build(traffic, answers, GpuTable.Default);
        }
    }
}
