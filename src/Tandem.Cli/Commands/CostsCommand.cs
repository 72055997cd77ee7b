using System.CommandLine;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Tandem.Configuration;
using Tandem.Costs;
using Tandem.Storage;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem costs</c>: spend, savings against the incumbent or a baseline, projection and break-even.</summary>
internal static class CostsCommand
{
    public static Command Create()
    {
        var since = new Option<string>("--since") { Description = "Window to report, e.g. 30d, 7d, 12h (default 30d)", DefaultValueFactory = _ => "30d" };
        var by = new Option<string>("--by") { Description = "Group by route, deployment, key or day (default deployment)", DefaultValueFactory = _ => "deployment" };
        by.AcceptOnlyFromAmong("route", "deployment", "key", "day");
        var format = new Option<string>("--format") { Description = "table, json or csv (default table)", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "csv");
        var baseline = new Option<string?>("--baseline") { Description = "Compare every request with this deployment (default: each route's configured deployment)" };
        var config = new Option<string?>("--config", "-c") { Description = "Configuration file (YAML or JSON). Default: ./tandem.yaml" };
        var command = new Command("costs", "Report spend, tokens and traffic per deployment, savings against a baseline, the month's projection and self-hosting break-even.")
        {
            since, by, format, baseline, config,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var report = await ComputeAsync(parse.GetValue(config) ?? "tandem.yaml", parse.GetValue(since), parse.GetValue(by), parse.GetValue(baseline),
                    TimeProvider.System.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                await Console.Out.WriteAsync(Render(report, parse.GetValue(format) ?? "table")).ConfigureAwait(false);
                return 0;
            }
            catch (ConfigException e)
            {
                await Console.Error.WriteLineAsync("tandem: " + e.Message).ConfigureAwait(false);
                return 1;
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync("tandem costs: " + e.Message).ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }

    /// <summary>The command's logic: reads the configuration and its record store, and builds the report.</summary>
    internal static async Task<CostReport> ComputeAsync(string configPath, string? since, string? by, string? baseline, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var config = ConfigLoader.LoadFile(configPath, ConfigUse.Tool);
        if (!CostReportQuery.TryParseSince(since, out var window))
        {
            throw new ArgumentException($"--since: '{since}' is not a window such as 30d, 12h or 90m (longest 3660d)");
        }

        if (!CostReportBuilder.TryParseGrouping(by, out var grouping))
        {
            throw new ArgumentException($"--by: '{by}' is not one of route, deployment, key, day");
        }

        if (baseline is not null && !config.Deployments.Any(d => d.Name == baseline))
        {
            throw new ArgumentException($"--baseline: '{baseline}' is not a deployment (configured: {string.Join(", ", config.Deployments.Select(d => d.Name))})");
        }

        var database = StorageFactory.Open(config.Storage, Path.GetDirectoryName(Path.GetFullPath(configPath))!);
        await using (database.ConfigureAwait(false))
        {
            await database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            return await CostReportQuery.RunAsync(database.Records, config, window, grouping, baseline, now, cancellationToken).ConfigureAwait(false);
        }
    }

    internal static string Render(CostReport report, string format) => format switch
    {
        "json" => CostReportJson.Serialize(report) + Environment.NewLine,
        "csv" => Csv(report),
        _ => Table(report),
    };

    private static string Money(decimal value) => CostFormat.Money(value);

    private static string Count(long value) => value.ToString("#,##0", CultureInfo.InvariantCulture);

    private static string Csv(CostReport report)
    {
        var sb = new StringBuilder();
        sb.AppendLine("name,requests,traffic_share,prompt_tokens,cached_tokens,completion_tokens,reasoning_tokens,errors,estimated_requests,spend,baseline_spend,savings");
        foreach (var g in report.Groups)
        {
            sb.AppendLine(string.Join(',', Quote(g.Name), g.Requests, g.TrafficShare.ToString("0.######", CultureInfo.InvariantCulture), g.PromptTokens, g.CachedTokens,
                g.CompletionTokens, g.ReasoningTokens, g.Errors, g.EstimatedRequests, g.Spend.ToString(CultureInfo.InvariantCulture),
                g.BaselineSpend.ToString(CultureInfo.InvariantCulture), g.Savings.ToString(CultureInfo.InvariantCulture)));
        }

        return sb.ToString();
    }

    private static string Quote(string s) => s.Contains(',', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal) ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;

    private static string Table(CostReport report)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 160;
        console.WriteLine($"Costs {report.From:yyyy-MM-dd HH:mm} → {report.To:yyyy-MM-dd HH:mm} UTC ({report.WindowDays:0.#} days), by {report.By}; baseline: {report.Baseline ?? "each route's configured deployment"}");
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn(report.By);
        foreach (var c in new[] { "requests", "share", "input tok", "cached", "output tok", "spend", "baseline", "savings" })
        {
            table.AddColumn(new TableColumn(c).RightAligned());
        }

        foreach (var g in report.Groups)
        {
            table.AddRow(Markup.Escape(g.Name), Count(g.Requests), g.TrafficShare.ToString("P1", CultureInfo.InvariantCulture), Count(g.PromptTokens), Count(g.CachedTokens),
                Count(g.CompletionTokens), Money(g.Spend), Money(g.BaselineSpend), Money(g.Savings));
        }

        console.Write(table);
        console.WriteLine($"Spend {Money(report.Spend)} (fixed capacity {Money(report.FixedSpend)}); on the baseline {Money(report.BaselineSpend)}; savings {Money(report.Savings)}.");
        console.WriteLine($"Projected 30-day spend {Money(report.ProjectedMonthlySpend)}, savings {Money(report.ProjectedMonthlySavings)} (rate over the last {CostFormat.Span(TimeSpan.FromDays(report.ObservedDays))}).");
        if (report.FixedCapacity.Count > 0)
        {
            var fixedTable = new Table().Border(TableBorder.Rounded).Title("fixed-cost capacity");
            foreach (var c in new[] { "deployment", "fixed/month", "window cost", "tokens", "utilisation", "$/1M tokens", "vs", "API $/1M (mix)", "break-even tok/month", "break-even util.", "observed tok/month", "of break-even" })
            {
                fixedTable.AddColumn(new TableColumn(c).RightAligned());
            }

            foreach (var f in report.FixedCapacity)
            {
                fixedTable.AddRow(Markup.Escape(f.Deployment), Money(f.FixedMonthly), Money(f.WindowCost), Count(f.Tokens),
                    f.Utilisation is double u ? u.ToString("P2", CultureInfo.InvariantCulture) : "-",
                    f.EffectiveCostPerMtok is decimal e ? Money(e) : "-", Markup.Escape(f.Alternative ?? "-"),
                    f.BlendedAlternativePerMtok is decimal b ? Money(b) : "-",
                    f.BreakEvenNever ? "never" : f.BreakEvenTokensPerMonth is decimal be ? Count((long)Math.Round(be)) : "-",
                    f.BreakEvenUtilisation is double bu ? bu.ToString("P0", CultureInfo.InvariantCulture) : "-",
                    Count((long)Math.Round(f.ObservedTokensPerMonth)),
                    f.ObservedShareOfBreakEven is double share ? share.ToString("P3", CultureInfo.InvariantCulture) : "-");
            }

            console.Write(fixedTable);
        }

        if (report.Unpriced.Count > 0)
        {
            console.WriteLine("No price known for: " + string.Join(", ", report.Unpriced) + " (counted as zero; set pricing: on the deployment).");
        }

        foreach (var note in report.Notes)
        {
            console.WriteLine("Note: " + note);
        }

        return writer.ToString();
    }
}
