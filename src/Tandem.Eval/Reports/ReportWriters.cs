using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Tandem.Eval.Metrics;

namespace Tandem.Eval.Reports;

/// <summary>Writes <c>report.json</c>.</summary>
public static class JsonReport
{
    /// <summary>The report as indented JSON.</summary>
    public static string Render(EvalReport report) =>
        JsonSerializer.Serialize(report, new EvalJsonContext(new JsonSerializerOptions(EvalJsonContext.Default.Options) { WriteIndented = true }).EvalReport);

    /// <summary>Reads a report written by <see cref="Render"/>.</summary>
    public static EvalReport? Parse(string json) => JsonSerializer.Deserialize(json, EvalJsonContext.Default.EvalReport);
}

/// <summary>Console tables (Spectre.Console).</summary>
public static class ConsoleReport
{
    /// <summary>Writes the per-deployment table, the comparisons and the verdict.</summary>
    public static void Write(IAnsiConsole console, EvalReport report)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        var inv = CultureInfo.InvariantCulture;
        console.Write(new Rule($"[bold]{Markup.Escape(report.Suite)}[/] — {report.Cases} cases").LeftJustified());
        var hasAccuracy = report.Deployments.Any(d => d.Classification is not null);
        var hasJudge = report.Deployments.Any(d => d.Judge is not null);
        var t = new Table().Border(TableBorder.Rounded);
        t.AddColumn("deployment").AddColumn("done");
        if (hasAccuracy)
        {
            t.AddColumn("accuracy [[95% CI]]").AddColumn("macro-F1").AddColumn("invalid");
        }

        if (hasJudge)
        {
            t.AddColumn("judge [[95% CI]]");
        }

        t.AddColumn("p50/p95/p99 ms").AddColumn("tokens in/out").AddColumn("cost/1k cases");
        foreach (var d in report.Deployments)
        {
            var c = d.Classification;
            var j = d.Judge;
            var row = new List<string>
            {
                Markup.Escape(d.Name + (d.Name == report.Baseline ? " (baseline)" : "")),
                d.Failed == 0 ? d.Completed.ToString(inv) : $"[red]{d.Completed} ({d.Failed} failed)[/]",
            };
            if (hasAccuracy)
            {
                row.Add(c is null ? "–" : $"{Pct(c.Accuracy)} [[{Pct(c.AccuracyLow)}–{Pct(c.AccuracyHigh)}]]");
                row.Add(c is null || c.PerClass.Count == 0 ? "–" : c.MacroF1.ToString("0.000", inv));
                row.Add(c is null ? "–" : Pct(c.InvalidRate));
            }

            if (hasJudge)
            {
                row.Add(j is null ? "–" : $"{j.Mean.ToString("0.00", inv)} [[{j.Low.ToString("0.00", inv)}–{j.High.ToString("0.00", inv)}]]" + (j.Unparseable > 0 ? $", {j.Unparseable} unparseable" : ""));
            }

            row.Add($"{d.Latency.P50.ToString("0", inv)}/{d.Latency.P95.ToString("0", inv)}/{d.Latency.P99.ToString("0", inv)}");
            row.Add($"{d.Tokens.Prompt.ToString("N0", inv)}/{d.Tokens.Completion.ToString("N0", inv)}" + (d.Tokens.WithoutUsage > 0 ? $" ({d.Tokens.WithoutUsage} without usage)" : ""));
            row.Add(d.Cost is null ? "no price" : d.Cost.Per1kCases.ToString("0.####", inv));
            t.AddRow(row.ToArray());
        }

        console.Write(t);
        if (report.Comparisons.Count > 0)
        {
            var ct = new Table().Border(TableBorder.Rounded).Title("against " + Markup.Escape(report.Baseline ?? ""));
            foreach (var h in (string[])["candidate", "paired", "accuracy Δ [95% CI, paired bootstrap]", "McNemar b/c, p", "judge Δ [95% CI]", "pairwise W/L/T"])
            {
                ct.AddColumn(Markup.Escape(h));
            }

            foreach (var c in report.Comparisons)
            {
                ct.AddRow(
                    Markup.Escape(c.Candidate),
                    c.PairedCases.ToString(inv),
                    c.AccuracyDifference is { } a ? $"{Signed(a * 100)} pt [[{Signed(c.AccuracyDifferenceLow!.Value * 100)}, {Signed(c.AccuracyDifferenceHigh!.Value * 100)}]]" : "–",
                    c.McNemarP is { } p ? $"{c.BaselineOnlyCorrect} / {c.CandidateOnlyCorrect}, p={P(p)}" : "–",
                    c.ScoreDifference is { } s ? $"{Signed(s)} [[{Signed(c.ScoreDifferenceLow!.Value)}, {Signed(c.ScoreDifferenceHigh!.Value)}]]" : "–",
                    c.Pairwise is { } w ? $"{w.CandidateWins} / {w.BaselineWins} / {w.Ties + w.Inconsistent}" + (w.Unparseable > 0 ? $" ({w.Unparseable} unparseable)" : "") : "–");
            }

            console.Write(ct);
        }

        foreach (var d in report.Deployments.Where(d => d.Classification?.TopConfusions.Count > 0))
        {
            var confusions = string.Join(", ", d.Classification!.TopConfusions.Take(5).Select(x => $"{x.Expected} → {x.Predicted} ×{x.Count}"));
            console.MarkupLine($"[grey]{Markup.Escape(d.Name)} top confusions: {Markup.Escape(confusions)}[/]");
        }

        var vt = new Table().Border(TableBorder.Simple).Title(report.Verdict.Passed ? "[green]verdict: PASS[/]" : "[red]verdict: FAIL[/]");
        vt.AddColumn("deployment").AddColumn("check").AddColumn("value").AddColumn("limit").AddColumn("result");
        foreach (var c in report.Verdict.Checks)
        {
            vt.AddRow(Markup.Escape(c.Deployment), Markup.Escape(c.Check), Markup.Escape(c.Value), Markup.Escape(c.Limit), c.Passed ? "[green]pass[/]" : "[red]fail[/]");
        }

        console.Write(vt);
    }

    private static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    internal static string Signed(double v) => (v >= 0 ? "+" : "") + v.ToString("0.0#", CultureInfo.InvariantCulture);

    internal static string P(double p) => p < 0.0001 ? "<0.0001" : p.ToString("0.####", CultureInfo.InvariantCulture);
}

/// <summary>
/// A self-contained HTML report: tables and inline SVG charts (accuracy with intervals, cost, latency percentiles,
/// confusion heat map). No scripts, fonts or other external resources.
/// </summary>
public static class HtmlReport
{
    private static readonly string[] Palette = ["#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5"];

    /// <summary>Renders the report.</summary>
    public static string Render(EvalReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tandem eval: ").Append(E(report.Suite)).Append("</title><style>")
            .Append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#222;max-width:1200px}")
            .Append("table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:right}th{background:#f4f4f4}")
            .Append("td:first-child,th:first-child{text-align:left}.pass{color:#1a7f37;font-weight:bold}.fail{color:#cf222e;font-weight:bold}")
            .Append("svg{display:block;margin:1rem 0}.note{color:#666;font-size:.9rem}")
            .Append("</style></head><body>");
        sb.Append("<h1>Tandem eval: ").Append(E(report.Suite)).Append("</h1><p class=\"note\">").Append(report.Cases.ToString(inv)).Append(" cases");
        if (report.Source is not null)
        {
            sb.Append(" · source: ").Append(E(report.Source));
        }

        if (report.Judge is not null)
        {
            sb.Append(" · judge: ").Append(E(report.Judge));
        }

        sb.Append(" · bootstrap seed ").Append(report.Seed.ToString(inv)).Append("</p>");
        sb.Append("<h2 class=\"").Append(report.Verdict.Passed ? "pass" : "fail").Append("\">Verdict: ").Append(report.Verdict.Passed ? "PASS" : "FAIL").Append("</h2>");
        sb.Append("<table><tr><th>deployment</th><th>check</th><th>value</th><th>limit</th><th>result</th></tr>");
        foreach (var c in report.Verdict.Checks)
        {
            sb.Append("<tr><td>").Append(E(c.Deployment)).Append("</td><td>").Append(E(c.Check)).Append("</td><td>").Append(E(c.Value)).Append("</td><td>").Append(E(c.Limit))
                .Append("</td><td class=\"").Append(c.Passed ? "pass\">pass" : "fail\">fail").Append("</td></tr>");
        }

        sb.Append("</table><h2>Deployments</h2><table><tr><th>deployment</th><th>model</th><th>done</th><th>accuracy</th><th>95% CI</th><th>macro-F1</th><th>invalid</th><th>judge mean</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>tokens in</th><th>tokens out</th><th>cost / 1k cases</th></tr>");
        foreach (var d in report.Deployments)
        {
            var c = d.Classification;
            sb.Append("<tr><td>").Append(E(d.Name)).Append(d.Name == report.Baseline ? " (baseline)" : "").Append("</td><td>").Append(E(d.Model ?? "")).Append("</td><td>")
                .Append(d.Completed.ToString(inv)).Append(d.Failed > 0 ? $" ({d.Failed} failed)" : "").Append("</td><td>")
                .Append(c is null ? "–" : c.Accuracy.ToString("P1", inv)).Append("</td><td>")
                .Append(c is null ? "–" : c.AccuracyLow.ToString("P1", inv) + "–" + c.AccuracyHigh.ToString("P1", inv)).Append("</td><td>")
                .Append(c is null || c.PerClass.Count == 0 ? "–" : c.MacroF1.ToString("0.000", inv)).Append("</td><td>")
                .Append(c is null ? "–" : c.InvalidRate.ToString("P1", inv)).Append("</td><td>")
                .Append(d.Judge is null ? "–" : d.Judge.Mean.ToString("0.00", inv) + $" ({d.Judge.Low.ToString("0.00", inv)}–{d.Judge.High.ToString("0.00", inv)})" + (d.Judge.Unparseable > 0 ? $", {d.Judge.Unparseable} unparseable" : "")).Append("</td><td>")
                .Append(d.Latency.P50.ToString("0", inv)).Append("</td><td>").Append(d.Latency.P95.ToString("0", inv)).Append("</td><td>").Append(d.Latency.P99.ToString("0", inv)).Append("</td><td>")
                .Append(d.Tokens.Prompt.ToString(inv)).Append("</td><td>").Append(d.Tokens.Completion.ToString(inv)).Append("</td><td>")
                .Append(d.Cost is null ? "no price (tokens only)" : d.Cost.Per1kCases.ToString("0.####", inv)).Append("</td></tr>");
        }

        sb.Append("</table>");
        if (report.Comparisons.Count > 0)
        {
            sb.Append("<h2>Against ").Append(E(report.Baseline ?? "")).Append("</h2><table><tr><th>candidate</th><th>paired</th><th>accuracy Δ (pt)</th><th>95% CI (paired bootstrap)</th><th>McNemar b / c</th><th>p</th><th>judge Δ</th><th>pairwise W / L / T</th></tr>");
            foreach (var c in report.Comparisons)
            {
                sb.Append("<tr><td>").Append(E(c.Candidate)).Append("</td><td>").Append(c.PairedCases.ToString(inv)).Append("</td><td>")
                    .Append(c.AccuracyDifference is { } a ? ConsoleReport.Signed(a * 100) : "–").Append("</td><td>")
                    .Append(c.AccuracyDifferenceLow is { } l ? ConsoleReport.Signed(l * 100) + " to " + ConsoleReport.Signed(c.AccuracyDifferenceHigh!.Value * 100) : "–").Append("</td><td>")
                    .Append(c.BaselineOnlyCorrect is null ? "–" : $"{c.BaselineOnlyCorrect} / {c.CandidateOnlyCorrect}").Append("</td><td>")
                    .Append(c.McNemarP is { } p ? ConsoleReport.P(p) : "–").Append("</td><td>")
                    .Append(c.ScoreDifference is { } s ? ConsoleReport.Signed(s) + $" ({ConsoleReport.Signed(c.ScoreDifferenceLow!.Value)} to {ConsoleReport.Signed(c.ScoreDifferenceHigh!.Value)})" : "–").Append("</td><td>")
                    .Append(c.Pairwise is { } w ? $"{w.CandidateWins} / {w.BaselineWins} / {w.Ties + w.Inconsistent}" : "–").Append("</td></tr>");
            }

            sb.Append("</table>");
        }

        sb.Append("<h2>Charts</h2>");
        var withAccuracy = report.Deployments.Where(d => d.Classification is not null).ToArray();
        if (withAccuracy.Length > 0)
        {
            sb.Append(BarChart("Accuracy (bars) with 95% interval (whiskers)", withAccuracy.Select(d => (d.Name, d.Classification!.Accuracy * 100, (double?)(d.Classification.AccuracyLow * 100), (double?)(d.Classification.AccuracyHigh * 100))).ToArray(), "%", 100));
        }

        var withJudge = report.Deployments.Where(d => d.Judge is { Scored: > 0 }).ToArray();
        if (withJudge.Length > 0)
        {
            sb.Append(BarChart("Judge score (1–5) with 95% interval", withJudge.Select(d => (d.Name, d.Judge!.Mean, (double?)d.Judge.Low, (double?)d.Judge.High)).ToArray(), "", 5));
        }

        var priced = report.Deployments.Where(d => d.Cost is not null).ToArray();
        if (priced.Length > 0)
        {
            sb.Append(BarChart("Cost per 1,000 cases", priced.Select(d => (d.Name, (double)d.Cost!.Per1kCases, (double?)null, (double?)null)).ToArray(), "", null));
        }
        else
        {
            sb.Append("<p class=\"note\">No deployment has a price configured: cost is not charted (tokens are in the table).</p>");
        }

        sb.Append(LatencyChart(report.Deployments));
        foreach (var d in withAccuracy.Where(d => d.Classification!.MatrixLabels.Count > 1))
        {
            sb.Append(HeatMap(d));
        }

        foreach (var d in withAccuracy.Where(d => d.Classification!.TopConfusions.Count > 0))
        {
            sb.Append("<h3>Top confusions: ").Append(E(d.Name)).Append("</h3><table><tr><th>expected</th><th>predicted</th><th>count</th></tr>");
            foreach (var x in d.Classification!.TopConfusions)
            {
                sb.Append("<tr><td>").Append(E(x.Expected)).Append("</td><td>").Append(E(x.Predicted)).Append("</td><td>").Append(x.Count.ToString(inv)).Append("</td></tr>");
            }

            sb.Append("</table>");
        }

        sb.Append("<p class=\"note\">Generated by Tandem. Latency is measured by the eval client and includes the network path to the provider.</p></body></html>\n");
        return sb.ToString();
    }

    private static string BarChart(string title, (string Name, double Value, double? Low, double? High)[] bars, string unit, double? max)
    {
        var inv = CultureInfo.InvariantCulture;
        const int left = 170, barH = 22, gap = 10, width = 520;
        var top = max ?? Math.Max(1e-9, bars.Max(b => Math.Max(b.Value, b.High ?? 0)) * 1.1);
        var height = 40 + (bars.Length * (barH + gap));
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + width + 90}\" height=\"{height}\" role=\"img\" aria-label=\"{E(title)}\">");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"16\" font-size=\"14\" font-weight=\"bold\">{E(title)}</text>");
        for (var i = 0; i < bars.Length; i++)
        {
            var b = bars[i];
            var y = 30 + (i * (barH + gap));
            var w = Math.Max(0, b.Value / top * width);
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 8}\" y=\"{y + 15}\" font-size=\"12\" text-anchor=\"end\">{E(b.Name)}</text>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{y}\" width=\"{w.ToString("0.#", inv)}\" height=\"{barH}\" fill=\"{Palette[i % Palette.Length]}\"/>");
            if (b.Low is { } lo && b.High is { } hi)
            {
                var x1 = (left + (lo / top * width)).ToString("0.#", inv);
                var x2 = (left + (hi / top * width)).ToString("0.#", inv);
                var ym = (y + (barH / 2)).ToString(inv);
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x1}\" x2=\"{x2}\" y1=\"{ym}\" y2=\"{ym}\" stroke=\"#222\" stroke-width=\"2\"/>");
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x1}\" x2=\"{x1}\" y1=\"{y + 5}\" y2=\"{y + barH - 5}\" stroke=\"#222\" stroke-width=\"2\"/>");
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x2}\" x2=\"{x2}\" y1=\"{y + 5}\" y2=\"{y + barH - 5}\" stroke=\"#222\" stroke-width=\"2\"/>");
            }

            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + width + 6}\" y=\"{y + 15}\" font-size=\"12\">{b.Value.ToString(b.Value >= 100 ? "0" : "0.##", inv)}{unit}</text>");
        }

        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string LatencyChart(IReadOnlyList<DeploymentMetrics> deployments)
    {
        var inv = CultureInfo.InvariantCulture;
        const int left = 170, rowH = 54, width = 520;
        var top = Math.Max(1e-9, deployments.Max(d => d.Latency.P99) * 1.1);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + width + 140}\" height=\"{50 + (deployments.Count * rowH)}\" role=\"img\" aria-label=\"Latency percentiles\">");
        sb.Append("<text x=\"0\" y=\"16\" font-size=\"14\" font-weight=\"bold\">Latency p50 / p95 / p99 (ms)</text>");
        string[] shades = ["#9ecae1", "#4292c6", "#08519c"];
        for (var i = 0; i < deployments.Count; i++)
        {
            var d = deployments[i];
            var y = 30 + (i * rowH);
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 8}\" y=\"{y + 28}\" font-size=\"12\" text-anchor=\"end\">{E(d.Name)}</text>");
            var values = new[] { d.Latency.P50, d.Latency.P95, d.Latency.P99 };
            for (var k = 0; k < 3; k++)
            {
                var w = (values[k] / top * width).ToString("0.#", inv);
                sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{y + (k * 15)}\" width=\"{w}\" height=\"13\" fill=\"{shades[k]}\"/>");
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + width + 6}\" y=\"{y + (k * 15) + 11}\" font-size=\"11\">p{(k == 0 ? "50" : k == 1 ? "95" : "99")} {values[k].ToString("0.#", inv)}</text>");
            }
        }

        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string HeatMap(DeploymentMetrics d)
    {
        var inv = CultureInfo.InvariantCulture;
        var c = d.Classification!;
        var n = c.MatrixLabels.Count;
        const int cell = 18, left = 210, topMargin = 200;
        var max = Math.Max(1, c.Matrix.SelectMany(r => r).DefaultIfEmpty(0).Max());
        var sb = new StringBuilder();
        sb.Append("<h3>Confusion heat map: ").Append(E(d.Name)).Append("</h3><p class=\"note\">rows: expected, columns: predicted")
            .Append(n < c.PerClass.Count ? $"; the {n} labels most involved in mistakes" : "").Append("</p>");
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + (n * cell) + 20}\" height=\"{topMargin + (n * cell) + 20}\" role=\"img\" aria-label=\"Confusion matrix\">");
        for (var i = 0; i < n; i++)
        {
            var label = E(Short(c.MatrixLabels[i]));
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{topMargin + (i * cell) + 13}\" font-size=\"11\" text-anchor=\"end\">{label}</text>");
            var x = left + (i * cell) + 12;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{topMargin - 6}\" font-size=\"11\" transform=\"rotate(-60 {x} {topMargin - 6})\">{label}</text>");
        }

        for (var r = 0; r < n; r++)
        {
            for (var k = 0; k < n; k++)
            {
                var v = c.Matrix[r][k];
                var intensity = v == 0 ? 0 : 0.15 + (0.85 * v / max);
                var fill = r == k ? $"rgba(26,127,55,{intensity.ToString("0.###", inv)})" : $"rgba(207,34,46,{intensity.ToString("0.###", inv)})";
                sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left + (k * cell)}\" y=\"{topMargin + (r * cell)}\" width=\"{cell - 1}\" height=\"{cell - 1}\" fill=\"{(v == 0 ? "#f6f6f6" : fill)}\"><title>{E(c.MatrixLabels[r])} → {E(c.MatrixLabels[k])}: {v}</title></rect>");
            }
        }

        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string Short(string s) => s.Length <= 28 ? s : s[..27] + "…";

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
