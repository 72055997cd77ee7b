using System.Globalization;
using System.Net;
using System.Text;

namespace Tandem.Eval.Reports.Migration;

/// <summary>The migration report as one self-contained HTML page (inline CSS, no script, nothing fetched) and as JSON.</summary>
internal static class MigrationReportHtml
{
    public static string Json(MigrationReport report) =>
        System.Text.Json.JsonSerializer.Serialize(report, MigrationReportJsonContext.Default.MigrationReport) + Environment.NewLine;

    public static string Render(MigrationReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var c = CultureInfo.InvariantCulture;
        static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
        string Money(decimal? v) => v is decimal d ? "$" + d.ToString("0.0000", c) : "—";
        string Pct(double? v) => v is double d ? (d * 100).ToString("0.0", c) + "%" : "—";
        string Ms(double? v) => v is double d ? d.ToString("0.0", c) + " ms" : "—";
        var sb = new StringBuilder();
        sb.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Migration report: ").Append(E(r.Route)).Append("</title><style>")
            .Append("body{font-family:system-ui,sans-serif;margin:2rem;color:#111827}table{border-collapse:collapse;margin:1rem 0}")
            .Append("th,td{border:1px solid #e5e7eb;padding:.35rem .7rem;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f4f6}")
            .Append("</style></head><body>");
        sb.Append(c, $"<h1>Migration report: route {E(r.Route)}</h1><p>Stage now: <strong>{E(r.Stage)}</strong>. Window {r.From:yyyy-MM-dd HH:mm} to {r.To:yyyy-MM-dd HH:mm} UTC.</p>");
        sb.Append("<h2>Before and after</h2><table><tr><th></th><th>before (incumbent)</th><th>after (candidate)</th></tr>");
        void Row(string name, string x, string y, string id) => sb.Append(c, $"<tr><th>{name}</th><td class=\"n\" data-before=\"{id}\">{x}</td><td class=\"n\" data-after=\"{id}\">{y}</td></tr>");
        Row("deployment", E(r.Before.Deployment), E(r.After.Deployment), "deployment");
        Row("requests", r.Before.Requests.ToString("#,##0", c), r.After.Requests.ToString("#,##0", c), "requests");
        Row("traffic share", Pct(r.Before.TrafficShare), Pct(r.After.TrafficShare), "share");
        Row("cost per 1,000 requests", Money(r.Before.CostPerThousand), Money(r.After.CostPerThousand), "cost_per_1000");
        Row("error rate", Pct(r.Before.ErrorRate), Pct(r.After.ErrorRate), "error_rate");
        Row("p95 latency", Ms(r.Before.P95Ms), Ms(r.After.P95Ms), "p95");
        sb.Append("</table>");
        sb.Append(c, $"<p>Cost per 1,000 requests changed by <strong>{(r.CostPerThousandChange is decimal d ? (d < 0 ? "−" : "+") + Money(Math.Abs(d)) : "—")}</strong>.</p>");
        sb.Append(c, $"<h2>Quality</h2><p>Shadow agreement {Pct(r.Agreement)}; judge score {(r.JudgeScore is double j ? j.ToString("0.00", c) : "—")} (latest gate evaluation).</p>");
        sb.Append("<h2>Time in each stage</h2><table><tr><th>stage</th><th>entered (UTC)</th><th>hours</th><th>by</th></tr>");
        foreach (var s in r.Stages)
        {
            sb.Append(c, $"<tr><td>{E(s.Stage)}</td><td>{s.Entered:yyyy-MM-dd HH:mm}</td><td class=\"n\">{s.Hours:0.##}</td><td>{E(s.Trigger)}</td></tr>");
        }

        sb.Append("</table></body></html>\n");
        return sb.ToString();
    }
}
