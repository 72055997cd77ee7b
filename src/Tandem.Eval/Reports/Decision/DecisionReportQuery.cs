using System.Text.Json;
using Tandem.Configuration;
using Tandem.Storage;

namespace Tandem.Eval.Reports.Decision;

/// <summary>
/// The decision report over a gateway's own records: what <c>tandem report decision</c>, <c>POST
/// /admin/reports/decision</c> and the dashboard's decision page all run, so the three cannot disagree.
/// </summary>
internal static class DecisionReportQuery
{
    /// <summary>Reads the checklist's answers (JSON, docs/DECISION.md) and checks them against the sizing table.</summary>
    /// <exception cref="ArgumentException">The JSON is malformed, has a field the checklist does not, or an answer the rules do not know; the message says which.</exception>
    public static async Task<DecisionAnswers> ReadAnswersAsync(Stream json, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(json);
        DecisionAnswers? answers;
        try
        {
            answers = await JsonSerializer.DeserializeAsync(json, DecisionJsonContext.Default.DecisionAnswers, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new ArgumentException("The answers are not the checklist's JSON (docs/DECISION.md): " + e.Message, e);
        }

        if (answers is null)
        {
            throw new ArgumentException("The answers are null: send an object such as { \"privacy\": \"none\", \"gpu_hourly_usd\": { \"L4\": 0.80 } }.");
        }

        if (DecisionReportBuilder.Problems(answers, GpuTable.Default) is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join("; ", problems));
        }

        return answers;
    }

    /// <summary>Measures <c>[now − window, now]</c>'s traffic and builds the report with the shipped sizing table.</summary>
    public static async Task<DecisionReport> RunAsync(IRecordStore records, IRecordSearch search, TandemConfig config, DecisionAnswers answers,
        TimeSpan window, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var traffic = await MeasureAsync(records, search, config, window, now, cancellationToken).ConfigureAwait(false);
        return DecisionReportBuilder.Build(traffic, answers, GpuTable.Default);
    }

    /// <summary>The window's traffic: volume and token mix priced by the configuration, the busiest minute, the p95 context, the sensitive routes.</summary>
    public static async Task<TrafficProfile> MeasureAsync(IRecordStore records, IRecordSearch search, TandemConfig config, TimeSpan window,
        DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(search);
        ArgumentNullException.ThrowIfNull(config);
        var costs = await CostReportQuery.RunAsync(records, config, window, Tandem.Costs.CostGrouping.Deployment, null, now, cancellationToken).ConfigureAwait(false);
        var peaks = await search.PeaksAsync(now - window, now.AddMilliseconds(1), cancellationToken).ConfigureAwait(false);
        return new TrafficProfile
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
    }
}
