using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tandem.Costs;
using Tandem.Migration;
using Tandem.Server.Configuration;
using Tandem.Server.Endpoints;
using Tandem.Storage;

namespace Tandem.Server.Dashboard;

/// <summary>
/// The overview page's figures in one answer: requests, errors, spend and savings today (UTC) and this month (cost
/// report, priced as <c>GET /admin/costs</c> prices them), p95 latency today, requests per deployment per day over the
/// last <see cref="TrafficDays"/> days, and warnings (open breakers, retirements within <see cref="RetirementWarningDays"/>
/// days, held migrations, dropped records).
/// </summary>
internal static class DashboardOverview
{
    public const int TrafficDays = 14;
    public const int RetirementWarningDays = 90;

    public static async Task WriteAsync(HttpContext ctx)
    {
        var services = ctx.RequestServices;
        var config = services.GetRequiredService<GatewayState>().Current;
        var store = services.GetRequiredService<IRecordStore>();
        var search = services.GetRequiredService<IRecordSearch>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var ct = ctx.RequestAborted;
        var dayStart = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var monthStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);

        // At least a millisecond: a report of an empty window is still a report.
        var today = await CostReportQuery.RunAsync(store, config.Config, Max(now - dayStart), CostGrouping.Deployment, null, now, ct).ConfigureAwait(false);
        var month = await CostReportQuery.RunAsync(store, config.Config, Max(now - monthStart), CostGrouping.Deployment, null, now, ct).ConfigureAwait(false);
        var latency = await search.LatencyAsync(dayStart, now.AddMilliseconds(1), null, ct).ConfigureAwait(false);
        var firstDay = DateOnly.FromDateTime(dayStart.UtcDateTime).AddDays(-(TrafficDays - 1));
        var usage = await store.QueryUsageAsync(new DateTimeOffset(firstDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), now.AddMilliseconds(1), ct).ConfigureAwait(false);

        var days = Enumerable.Range(0, TrafficDays).Select(firstDay.AddDays).ToList();
        var perDeployment = usage.Rows
            .GroupBy(r => r.Deployment.Length == 0 ? "(refused)" : r.Deployment, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Name: g.Key, Requests: days.Select(d => g.Where(r => r.Day == d).Sum(r => r.Requests)).ToList()))
            .ToList();

        var warnings = Warnings(services, config, now);
        await JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("now", now);
            WriteWindow(w, "today", today);
            WriteWindow(w, "month", month);
            w.WriteNumber("projected_monthly_spend", month.ProjectedMonthlySpend);
            if (latency is null)
            {
                w.WriteNull("latency_today");
            }
            else
            {
                w.WriteStartObject("latency_today");
                w.WriteNumber("count", latency.Count);
                w.WriteNumber("p50_ms", latency.P50Ms);
                w.WriteNumber("p95_ms", latency.P95Ms);
                w.WriteNumber("p99_ms", latency.P99Ms);
                w.WriteEndObject();
            }

            w.WriteStartObject("traffic");
            w.WriteStartArray("days");
            foreach (var d in days)
            {
                w.WriteStringValue(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            }

            w.WriteEndArray();
            w.WriteStartArray("deployments");
            foreach (var (name, requests) in perDeployment)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteStartArray("requests");
                foreach (var n in requests)
                {
                    w.WriteNumberValue(n);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartArray("warnings");
            foreach (var (kind, subject, message) in warnings)
            {
                w.WriteStartObject();
                w.WriteString("kind", kind);
                w.WriteString("subject", subject);
                w.WriteString("message", message);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static TimeSpan Max(TimeSpan span) => span < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : span;

    private static void WriteWindow(Utf8JsonWriter w, string name, CostReport report)
    {
        var errors = report.Groups.Sum(g => g.Errors);
        w.WriteStartObject(name);
        w.WriteString("from", report.From);
        w.WriteNumber("requests", report.Requests);
        w.WriteNumber("errors", errors);
        w.WriteNumber("error_rate", report.Requests == 0 ? 0 : (double)errors / report.Requests);
        w.WriteNumber("spend", report.Spend);
        w.WriteNumber("baseline_spend", report.BaselineSpend);
        w.WriteNumber("savings", report.Savings);
        w.WriteEndObject();
    }

    private static List<(string Kind, string Subject, string Message)> Warnings(IServiceProvider services, Runtime.GatewaySnapshot snapshot, DateTimeOffset now)
    {
        var list = new List<(string, string, string)>();
        var lifecycle = services.GetRequiredService<LifecycleWatch>();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        foreach (var d in snapshot.Deployments.Values.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            var breaker = d.Resilience.BreakerState;
            if (breaker is Polly.CircuitBreaker.CircuitState.Open or Polly.CircuitBreaker.CircuitState.Isolated or Polly.CircuitBreaker.CircuitState.HalfOpen)
            {
                list.Add(("breaker", d.Name, $"breaker {breaker.ToString().ToLowerInvariant()}: routes fall back past it"));
            }

            if (lifecycle.For(d) is { } r && r.Retires.DayNumber - today.DayNumber <= RetirementWarningDays)
            {
                var left = r.Retires.DayNumber - today.DayNumber;
                list.Add(("retirement", d.Name, left < 0
                    ? $"{r.Model} retired on {r.Retires:yyyy-MM-dd} ({r.Source})"
                    : $"{r.Model} retires on {r.Retires:yyyy-MM-dd}, in {left} days ({r.Source})"));
            }
        }

        if (services.GetService<MigrationCoordinator>() is { } migrations)
        {
            foreach (var (route, hold) in migrations.Holds.OrderBy(h => h.Key, StringComparer.Ordinal))
            {
                list.Add(("held", route, $"migration held by {string.Join(", ", hold.Gates)} since {hold.Since:yyyy-MM-dd HH:mm} UTC"));
            }
        }

        if (services.GetService<RecordWriter>() is { Dropped: > 0 } writer)
        {
            list.Add(("dropped_records", "storage", $"{writer.Dropped} records dropped since start (queue full or storage down)"));
        }

        return list;
    }
}
