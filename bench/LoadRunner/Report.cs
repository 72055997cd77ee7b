using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Tandem.LoadRunner;

/// <summary>Writes results.md, results.json and chart.svg into the output folder.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static void Rewrite(BenchOptions options)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(options.Out, "results.json")));
        var root = doc.RootElement;
        var machine = root.GetProperty("machine").Deserialize<Machine>()!;
        var results = root.GetProperty("results").Deserialize<List<PhaseResult>>()!;
        var soak = root.GetProperty("soak").Deserialize<List<SoakSample>>()!;

        // Re-judge saturation with the current rule.
        results = [.. results.Select(r => r.Mode == "rate" && r.Sample is not null && r.Rate is int rate && PhaseResult.IsSaturated(r.Sample, rate) && !r.Saturated
            ? r with { Saturated = true, Note = "could not sustain the offered rate (p99 > 1 s)" }
            : r)];
        var mode = soak.Count > 0 ? RunMode.Soak : results.Any(r => r.Sample is { Seconds: < 5 }) ? RunMode.Smoke : RunMode.Full;
        Write(options with { Mode = mode }, machine, results, soak);
    }

    public static void Write(BenchOptions options, Machine machine, List<PhaseResult> results, List<SoakSample> soak)
    {
        File.WriteAllText(Path.Combine(options.Out, "results.json"), JsonSerializer.Serialize(new { machine, results, soak }, JsonOptions));
        File.WriteAllText(Path.Combine(options.Out, "results.md"), Markdown(options, machine, results, soak));
        if (results.Count > 0)
        {
            File.WriteAllText(Path.Combine(options.Out, "chart.svg"), Svg(machine, results));
        }
    }

    private static string F(double? v, string format = "0") => v is double d ? d.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string Added(double? v, double? baseline) => v is double a && baseline is double b ? (a - b >= 0 ? "+" : "−") + Math.Abs(a - b).ToString("0", CultureInfo.InvariantCulture) : "–";

    private static PhaseResult? Find(List<PhaseResult> results, string target, string scenario, string mode, int? rate) =>
        results.FirstOrDefault(r => r.Target == target && r.Scenario == scenario && r.Mode == mode && r.Rate == rate && r.Sample is not null);

    private static string Markdown(BenchOptions options, Machine m, List<PhaseResult> results, List<SoakSample> soak)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# End-to-end overhead benchmark ({options.Mode.ToString().ToLowerInvariant()} run)");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Run: {m.StartedUtc}, {m.Minutes:0.0} min, command `{m.Command}`");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {m.Cores} cores, {m.Cpu}, {m.MemoryGb:0.0} GiB RAM, {m.Os} (kernel {m.Kernel}), {m.Dotnet}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Tools: nginx {m.Nginx ?? "absent"}; {m.Wrk ?? "wrk absent"}; node {m.Node ?? "absent"}; Portkey gateway {m.PortkeyVersion ?? "absent"}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Load average (1/5/15 min) at start: {m.LoadAverageStart}; at end: {m.LoadAverageEnd}. Load generator, upstream simulator and target share the {m.Cores} cores.");
        sb.AppendLine("- Upstream: `tandem simulate` (Kestrel), ~1.1 KB chat completion (110 generated tokens). `json-0ms`/`json-20ms`: non-streamed, upstream delay 0/20 ms. `stream`: streamed in 5-token chunks (~25 SSE events), first at once, then one every 2.5 ms (`--tps 2000`).");
        sb.AppendLine("- Targets run side by side and are measured in turn for each scenario and rate (interleaved), so background-load drift hits all alike. ⚠ = could not sustain the offered rate (higher rates skipped).");
        sb.AppendLine("- Fixed-rate rows: C# open-loop generator, latency measured from each request's *intended* send time (coordinated-omission corrected), full response read. Closed-loop rows: wrk (or the C# closed loop when wrk is absent), latency from actual send.");
        sb.AppendLine("- *added* = target percentile − direct percentile at the same scenario and rate (µs). CPU % is of one core; RSS is the peak of the target's process tree during the phase.");
        sb.AppendLine();

        foreach (var skipped in results.Where(r => r.Mode == "skipped"))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"- **{skipped.Target} not measured**: {skipped.Note}");
        }

        if (soak.Count == 0)
        {
            foreach (var scenario in results.Where(r => r.Mode == "rate").Select(r => r.Scenario).Distinct())
            {
                var stream = results.Any(r => r.Scenario == scenario && r.Sample?.FirstByte is not null);
                sb.AppendLine(CultureInfo.InvariantCulture, $"## Fixed rate: {scenario}");
                sb.AppendLine();
                sb.Append("| target | offered/s | achieved/s | errors | p50 µs | p90 µs | p99 µs | added p50 | added p90 | added p99 |");
                sb.AppendLine(stream ? " TTFB p50 µs | added TTFB p50 | added TTFB p99 | CPU % | peak RSS MB | load avg |" : " CPU % | peak RSS MB | load avg |");
                sb.AppendLine(stream ? "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|" : "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
                foreach (var rate in results.Where(r => r.Scenario == scenario && r.Mode == "rate").Select(r => r.Rate).Distinct().Order())
                {
                    var direct = Find(results, "direct", scenario, "rate", rate)?.Sample;
                    foreach (var r in results.Where(r => r.Scenario == scenario && r.Mode == "rate" && r.Rate == rate))
                    {
                        var s = r.Sample;
                        if (s is null)
                        {
                            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Target} | {r.Rate} | {r.Note} |");
                            continue;
                        }

                        var l = s.Latency;
                        var isDirect = r.Target == "direct";
                        sb.Append(CultureInfo.InvariantCulture, $"| {(r.Target == "tandem" ? "**tandem**" : r.Target)}{(r.Saturated ? " ⚠" : "")} | {r.Rate} | {F(s.Throughput)} | {s.Errors} | {F(l?.P50)} | {F(l?.P90)} | {F(l?.P99)} | ");
                        sb.Append(isDirect ? "– | – | – |" : $"{Added(l?.P50, direct?.Latency?.P50)} | {Added(l?.P90, direct?.Latency?.P90)} | {Added(l?.P99, direct?.Latency?.P99)} |");
                        if (stream)
                        {
                            sb.Append(CultureInfo.InvariantCulture, $" {F(s.FirstByte?.P50)} | {(isDirect ? "–" : Added(s.FirstByte?.P50, direct?.FirstByte?.P50))} | {(isDirect ? "–" : Added(s.FirstByte?.P99, direct?.FirstByte?.P99))} |");
                        }

                        sb.AppendLine(CultureInfo.InvariantCulture, $" {F(r.CpuPercent)} | {F(r.PeakRssMb)} | {r.LoadAverage} |");
                    }
                }

                sb.AppendLine();
            }

            var cold = results.Where(r => r.Mode == "cold" && r.Sample is not null).ToList();
            if (cold.Count > 0)
            {
                sb.AppendLine("## First phase after start (json-0ms at 200 req/s, before any warm-up of the target)");
                sb.AppendLine();
                sb.AppendLine("| target | p50 µs | p99 µs | added p50 | added p50 when warm (same rate) | errors |");
                sb.AppendLine("|---|--:|--:|--:|--:|--:|");
                var direct = Find(results, "direct", "json-0ms", "rate", 200)?.Sample?.Latency;
                foreach (var r in cold)
                {
                    var warm = Find(results, r.Target, "json-0ms", "rate", 200)?.Sample?.Latency;
                    sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Target} | {F(r.Sample!.Latency?.P50)} | {F(r.Sample.Latency?.P99)} | {Added(r.Sample.Latency?.P50, direct?.P50)} | {Added(warm?.P50, direct?.P50)} | {r.Sample.Errors} |");
                }

                sb.AppendLine();
            }

            var closed = results.Where(r => r.Mode == "closed" && r.Sample is not null).ToList();
            if (closed.Count > 0)
            {
                sb.AppendLine("## Closed loop (maximum throughput)");
                sb.AppendLine();
                sb.AppendLine("| target | scenario | generator | req/s | × direct | p50 µs | p99 µs | errors | CPU % | peak RSS MB | load avg |");
                sb.AppendLine("|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|");
                foreach (var r in closed)
                {
                    var direct = Find(results, "direct", r.Scenario, "closed", null)?.Sample;
                    var ratio = direct is { Throughput: > 0 } ? F(r.Sample!.Throughput / direct.Throughput, "0.00") : "–";
                    sb.AppendLine(CultureInfo.InvariantCulture, $"| {(r.Target == "tandem" ? "**tandem**" : r.Target)} | {r.Scenario} | {r.Sample!.Generator} | {F(r.Sample.Throughput)} | {ratio} | {F(r.Sample.Latency?.P50)} | {F(r.Sample.Latency?.P99)} | {r.Sample.Errors} | {F(r.CpuPercent)} | {F(r.PeakRssMb)} | {r.LoadAverage} |");
                }

                sb.AppendLine();
            }

            sb.AppendLine("## Targets (issues 7 and 11)");
            sb.AppendLine();
            sb.AppendLine("| target | measured | verdict |");
            sb.AppendLine("|---|---|---|");
            foreach (var (name, measured, ok) in Targets(results))
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {measured} | {(ok is null ? "n/a" : ok.Value ? "met" : "**missed**")} |");
            }

            sb.AppendLine();
        }
        else
        {
            sb.AppendLine("## Soak: tandem, json-0ms at 1,000 req/s, 30-second windows");
            sb.AppendLine();
            sb.AppendLine("| minute | req/s | errors | p50 µs | p99 µs | CPU % | RSS MB (end) | peak RSS MB | load avg |");
            sb.AppendLine("|--:|--:|--:|--:|--:|--:|--:|--:|---|");
            foreach (var s in soak)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {s.Minute:0.0} | {s.Throughput:0} | {s.Errors} | {s.P50:0} | {s.P99:0} | {s.CpuPercent:0} | {s.RssMb:0.0} | {s.PeakRssMb:0.0} | {s.LoadAverage} |");
            }

            var half = soak.Count / 2;
            if (half > 0)
            {
                var first = soak.Take(half).Average(s => s.RssMb);
                var second = soak.Skip(half).Average(s => s.RssMb);
                sb.AppendLine();
                sb.AppendLine(CultureInfo.InvariantCulture, $"Mean RSS first half {first:0.0} MB, second half {second:0.0} MB ({(second - first) / first * 100:+0.0;-0.0}%); max {soak.Max(s => s.PeakRssMb):0.0} MB.");
            }
        }

        return sb.ToString();
    }

    /// <summary>The issue's targets, judged from this run's rows.</summary>
    public static IEnumerable<(string Name, string Measured, bool? Ok)> Targets(List<PhaseResult> results)
    {
        var t1000 = Find(results, "tandem", "json-0ms", "rate", 1000)?.Sample;
        var d1000 = Find(results, "direct", "json-0ms", "rate", 1000)?.Sample;
        // Compare with Portkey at the highest rate (≤ 1,000/s) it sustained; a saturated rate would compare queues.
        var pRow = new[] { 1000, 500, 200 }.Select(r => Find(results, "portkey", "json-0ms", "rate", r)).FirstOrDefault(r => r is { Saturated: false })
            ?? Find(results, "portkey", "json-0ms", "rate", 200);
        var tClosed = Find(results, "tandem", "json-0ms", "closed", null)?.Sample;
        var yClosed = Find(results, "yarp", "json-0ms", "closed", null)?.Sample;
        var pClosed = Find(results, "portkey", "json-0ms", "closed", null)?.Sample;
        var tStream = Find(results, "tandem", "stream", "rate", 1000)?.Sample;
        var dStream = Find(results, "direct", "stream", "rate", 1000)?.Sample;
        var tStream200 = Find(results, "tandem", "stream", "rate", 200)?.Sample;
        var dStream200 = Find(results, "direct", "stream", "rate", 200)?.Sample;
        var tStream2000 = Find(results, "tandem", "stream", "rate", 2000)?.Sample;
        var yStream2000 = Find(results, "yarp", "stream", "rate", 2000)?.Sample;
        var tCold = Find(results, "tandem", "json-0ms", "cold", 200)?.Sample;
        var t200 = Find(results, "tandem", "json-0ms", "rate", 200)?.Sample;
        var d200 = Find(results, "direct", "json-0ms", "rate", 200)?.Sample;
        var tCpu = Find(results, "tandem", "json-0ms", "rate", 1000)?.CpuPercent;
        var yCpu = Find(results, "yarp", "json-0ms", "rate", 1000)?.CpuPercent;
        var tRss = Find(results, "tandem", "json-0ms", "rate", 1000)?.PeakRssMb;

        double? addedP50 = t1000?.Latency is { } t && d1000?.Latency is { } d ? t.P50 - d.P50 : null;
        double? addedP99 = t1000?.Latency is { } t2 && d1000?.Latency is { } d2 ? t2.P99 - d2.P99 : null;
        yield return ("added p50 ≤ 150 µs at 1,000 req/s (json-0ms)", addedP50 is null ? "–" : $"{addedP50:+0;-0} µs", addedP50 is null ? null : addedP50 <= 150);
        yield return ("added p99 ≤ 1 ms at 1,000 req/s (json-0ms)", addedP99 is null ? "–" : $"{addedP99:+0;-0} µs", addedP99 is null ? null : addedP99 <= 1000);
        double? coldAdded = tCold?.Latency is { } c && d200?.Latency is { } dc ? c.P50 - dc.P50 : null;
        double? warmAdded = t200?.Latency is { } w && d200?.Latency is { } dw ? w.P50 - dw.P50 : null;
        yield return ("first phase after start: added p50 within 2× of warm (json-0ms @ 200/s)", coldAdded is null || warmAdded is null ? "–" : $"{coldAdded:+0;-0} µs cold vs {warmAdded:+0;-0} µs warm",
            coldAdded is null || warmAdded is null ? null : coldAdded <= 2 * Math.Max(warmAdded.Value, 1));
        yield return ("CPU at 1,000 req/s ≤ bare YARP hop (json-0ms, % of one core)", tCpu is null || yCpu is null ? "–" : $"{tCpu:0} % vs {yCpu:0} %", tCpu is null || yCpu is null ? null : tCpu <= yCpu);
        yield return ("closed-loop throughput ≥ bare YARP hop", tClosed is null || yClosed is null ? "–" : $"{tClosed.Throughput:0} vs {yClosed.Throughput:0} req/s ({tClosed.Throughput / yClosed.Throughput:0.00}×)", tClosed is null || yClosed is null ? null : tClosed.Throughput >= yClosed.Throughput);
        yield return ("≥ 15× Portkey's closed-loop throughput", tClosed is null || pClosed is not { Throughput: > 0 } ? "–" : $"{tClosed.Throughput / pClosed.Throughput:0.0}×", tClosed is null || pClosed is not { Throughput: > 0 } ? null : tClosed.Throughput >= 15 * pClosed.Throughput);
        var cmpRate = pRow?.Rate ?? 1000;
        var dCmp = Find(results, "direct", "json-0ms", "rate", cmpRate)?.Sample?.Latency;
        var tCmp = Find(results, "tandem", "json-0ms", "rate", cmpRate)?.Sample?.Latency;
        double? tAdded = tCmp is not null && dCmp is not null ? tCmp.P50 - dCmp.P50 : null;
        double? pAdded = pRow?.Sample?.Latency is { } pl && dCmp is not null ? pl.P50 - dCmp.P50 : null;
        var pNote = pRow is { Saturated: true } ? ", Portkey saturated even here" : "";
        yield return ($"≥ 10× lower added p50 than Portkey (json-0ms @ {cmpRate}/s{pNote})", tAdded is null || pAdded is null ? "–" : $"tandem {tAdded:+0;-0} µs vs Portkey {pAdded:+0;-0} µs ({pAdded / Math.Max(1, tAdded.Value):0.0}×)", tAdded is null || pAdded is null ? null : pAdded >= 10 * Math.Max(0, tAdded.Value));
        double? ttfb = tStream?.FirstByte is { } tf && dStream?.FirstByte is { } df ? tf.P50 - df.P50 : null;
        double? ttfb200 = tStream200?.FirstByte is { } tf2 && dStream200?.FirstByte is { } df2 ? tf2.P50 - df2.P50 : null;
        yield return ("added time to first streamed byte ≤ 200 µs (p50, stream @ 200/s)", ttfb200 is null ? "–" : $"{ttfb200:+0;-0} µs", ttfb200 is null ? null : ttfb200 <= 200);
        yield return ("added time to first streamed byte ≤ 200 µs (p50, stream @ 1,000/s)", ttfb is null ? "–" : $"{ttfb:+0;-0} µs", ttfb is null ? null : ttfb <= 200);
        var sTandem = tStream2000?.FirstByte?.P50;
        var sYarp = yStream2000?.FirstByte?.P50;
        yield return ("no stream collapse at 2,000 req/s: TTFB p50 ≤ 2× bare YARP hop", sTandem is null || sYarp is null ? "–" : $"{sTandem / 1000:0.0} ms vs {sYarp / 1000:0.0} ms",
            sTandem is null || sYarp is null ? null : sTandem <= 2 * sYarp);
        yield return ("RSS ≤ 150 MB at 1,000 req/s", tRss is null ? "–" : $"{tRss:0} MB peak", tRss is null ? null : tRss <= 150);
        yield return ("flat memory over a 10-minute soak", "see `bench/run.sh --soak`", null);
    }

    private static string Svg(Machine m, List<PhaseResult> results)
    {
        var order = new[] { "direct", "tandem", "baseline", "yarp", "nginx", "portkey" };
        var closed = order.Select(t => (t, Find(results, t, "json-0ms", "closed", null)?.Sample?.Throughput)).Where(x => x.Item2 is not null).ToList();
        var rate = results.Any(r => r.Rate == 1000) ? 1000 : results.Where(r => r.Rate is not null).Select(r => r.Rate).FirstOrDefault() ?? 0;
        var direct = Find(results, "direct", "json-0ms", "rate", rate)?.Sample?.Latency?.P50;
        var added = order.Skip(1).Select(t => (t, Find(results, t, "json-0ms", "rate", rate)?.Sample?.Latency?.P50 - direct, Find(results, t, "json-0ms", "rate", rate)?.Saturated ?? false)).Where(x => x.Item2 is not null).ToList();

        const int width = 860, barLeft = 110, barMax = 460, rowH = 26;
        var h1 = 50 + (closed.Count * rowH);
        var h2 = 50 + (added.Count * rowH);
        var height = h1 + h2 + 50;
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"13\">");
        sb.AppendLine(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        string Color(string t) => t switch { "tandem" => "#2563eb", "baseline" => "#93c5fd", "direct" => "#6b7280", "portkey" => "#dc2626", _ => "#9ca3af" };

        var y = 24;
        sb.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"10\" y=\"{y}\" font-weight=\"bold\">Closed-loop throughput, json-0ms (req/s, higher is better)</text>");
        y += 16;
        var maxT = closed.Count == 0 ? 1 : closed.Max(c => c.Item2!.Value);
        foreach (var (t, v) in closed)
        {
            var w = Math.Max(1, v!.Value / maxT * barMax);
            sb.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{barLeft - 8}\" y=\"{y + 17}\" text-anchor=\"end\">{t}</text><rect x=\"{barLeft}\" y=\"{y + 4}\" width=\"{w:0.0}\" height=\"{rowH - 8}\" fill=\"{Color(t)}\"/><text x=\"{barLeft + w + 6:0.0}\" y=\"{y + 17}\">{v:0}</text>");
            y += rowH;
        }

        y += 30;
        sb.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"10\" y=\"{y}\" font-weight=\"bold\">Added p50 latency vs direct at {rate} req/s, json-0ms (µs, log scale, lower is better)</text>");
        y += 16;
        var maxA = added.Count == 0 ? 10 : Math.Max(10, added.Max(a => Math.Max(1, a.Item2!.Value)));
        foreach (var (t, v, saturated) in added)
        {
            var value = Math.Max(1, v!.Value);
            var w = Math.Max(1, Math.Log10(value) / Math.Log10(maxA) * barMax);
            sb.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{barLeft - 8}\" y=\"{y + 17}\" text-anchor=\"end\">{t}</text><rect x=\"{barLeft}\" y=\"{y + 4}\" width=\"{w:0.0}\" height=\"{rowH - 8}\" fill=\"{Color(t)}\"/><text x=\"{barLeft + w + 6:0.0}\" y=\"{y + 17}\">{v:+0;-0} µs{(saturated ? " (saturated: queueing)" : "")}</text>");
            y += rowH;
        }

        y += 24;
        sb.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"10\" y=\"{y}\" font-size=\"11\" fill=\"#555\">{WebUtility.HtmlEncode($"{m.Cores} cores ({m.Cpu}), load generator on the same box; load avg {m.LoadAverageStart} → {m.LoadAverageEnd}; {m.StartedUtc}")}</text>");
        sb.AppendLine("</svg>");
        return sb.ToString();
    }
}
