using Tandem.Configuration;
using Tandem.Costs;

namespace Tandem.Storage;

/// <summary>The cost report as <c>tandem costs</c> and <c>GET /admin/costs</c> compute it: stored usage priced by the configuration.</summary>
public static class CostReportQuery
{
    /// <summary>Parses a window such as <c>30d</c>, <c>12h</c> or <c>90m</c> (a bare number is days).</summary>
    public static bool TryParseSince(string? text, out TimeSpan since)
    {
        since = TimeSpan.FromDays(30);
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var t = text.Trim();
        if (t.All(char.IsAsciiDigit))
        {
            t += "d";
        }

        return ConfigLoader.TryParseDuration(t, out since) && since > TimeSpan.Zero && since <= TimeSpan.FromDays(3660);
    }

    /// <summary>Reads usage of <c>[now − since, now)</c> and builds the report.</summary>
    public static async Task<CostReport> RunAsync(IRecordStore store, TandemConfig config, TimeSpan since, CostGrouping by, string? baseline,
        DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(config);
        if (baseline is not null && !config.Deployments.Any(d => d.Name == baseline))
        {
            throw new ArgumentException($"unknown baseline deployment '{baseline}'", nameof(baseline));
        }

        var from = now - since;
        var usage = await store.QueryUsageAsync(from, now, cancellationToken).ConfigureAwait(false);
        return CostReportBuilder.Build(config, usage.Rows, from, now, usage.FirstSeen, by, baseline);
    }
}
