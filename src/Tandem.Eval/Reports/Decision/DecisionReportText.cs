using System.Globalization;
using System.Text;

namespace Tandem.Eval.Reports.Decision;

/// <summary>The decision report as text (terminal, Markdown-friendly) or JSON.</summary>
internal static class DecisionReportText
{
    public static string Json(DecisionReport report) =>
        System.Text.Json.JsonSerializer.Serialize(report, DecisionJsonContext.Default.DecisionReport) + Environment.NewLine;

    public static string Render(DecisionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var c = CultureInfo.InvariantCulture;
        var t = report.Traffic;
        var sb = new StringBuilder();
        sb.Append(c, $"Recommendation: {report.Recommendation.ToString().ToUpperInvariant()}\n\n");
        foreach (var reason in report.Reasons)
        {
            sb.Append("- ").Append(reason).Append('\n');
        }

        sb.Append(c, $"\nMeasured over {t.Days:0.#} days: {t.Requests:#,##0} requests, {t.PromptTokens:#,##0} tokens in, {t.CompletionTokens:#,##0} out ")
            .Append(c, $"({t.TokensPerMonth:#,##0} a month); peak {t.PeakTokensPerSecond:0.#} tokens/s; p95 context {t.P95ContextTokens:#,##0} tokens.\n");
        sb.Append(c, $"API price for this mix: ${report.ApiPricePerMtok:0.####} per million tokens.\n\n");
        sb.Append("TCO a month            API          self-hosted (").Append(report.Model).Append(")\n");
        Line(sb, "observed volume", report.Observed);
        Line(sb, "10x the volume", report.TenTimes);
        sb.Append(c, $"\nBreak-even: {(report.BreakEvenTokensPerMonth is double b ? b.ToString("#,##0", c) + " tokens a month" : "unknown (no priced GPU option)")}\n\n");
        sb.Append("GPU sizing at the observed peak (decode roofline, planned at ")
            .Append(report.Answers.TargetUtilisation.ToString("0.##", c)).Append(" of it):\n");
        sb.Append("  GPU          per copy  sequences  tokens/s/copy  copies  GPUs  monthly\n");
        foreach (var g in report.Gpus)
        {
            sb.Append(c, $"  {g.Gpu,-12} {g.GpusPerReplica,8}  {g.ConcurrentSequences,9}  {g.ReplicaTokensPerSecond,13:0.0}  {g.Replicas,6}  {g.Gpus,4}  {(g.MonthlyCost is decimal m ? "$" + m.ToString("0.00", c) : "no price")}\n");
        }

        sb.Append("\nSources: ").Append(report.Sources).Append('\n');
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string label, CostAtVolume v) =>
        sb.Append(CultureInfo.InvariantCulture, $"  {label,-20} ${v.ApiMonthly,10:0.00}   {(v.SelfHostMonthly is decimal s ? "$" + s.ToString("0.00", CultureInfo.InvariantCulture) + (v.Option is { } o ? $" ({o.Gpus} x {o.Gpu} + operations)" : "") : "—")}\n");
}
