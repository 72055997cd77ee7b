using System.Diagnostics;
using System.Text.Json;

namespace Tandem.LoadRunner;

/// <summary>Closed-loop maximum throughput with wrk (apt) and bench/wrk/post.lua.</summary>
internal static class Wrk
{
    public static string? Find()
    {
        // BENCH_WRK=none forces the C# closed loop (to test the path CI takes on a machine without wrk).
        if (Environment.GetEnvironmentVariable("BENCH_WRK") == "none")
        {
            return null;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "wrk");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static async Task<LoadSample> RunAsync(string wrk, string script, RequestSpec spec, int threads, int connections, TimeSpan duration)
    {
        var start = new ProcessStartInfo(wrk)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-t", threads.ToString(), "-c", connections.ToString(), "-d", $"{Math.Max(1, (int)duration.TotalSeconds)}s", "--timeout", "10s", "-s", script, spec.Url.ToString() })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["BENCH_BODY"] = System.Text.Encoding.UTF8.GetString(spec.Body);
        start.Environment["BENCH_HEADERS"] = string.Join('\n', spec.Headers.Select(h => $"{h.Key}: {h.Value}"));
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false);
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("BENCH_JSON ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk printed no result (exit {process.ExitCode}): {output} {await stderr.ConfigureAwait(false)}");
        using var doc = JsonDocument.Parse(line["BENCH_JSON ".Length..]);
        var r = doc.RootElement;
        long Get(string name) => r.GetProperty(name).GetInt64();
        var errors = Get("connect") + Get("read") + Get("write") + Get("status") + Get("timeout");
        var requests = Get("requests");
        var seconds = Get("duration_us") / 1e6;
        return new LoadSample($"wrk closed loop (-t{threads} -c{connections})", requests, Math.Max(0, requests - Get("status")), errors, seconds,
            new Percentiles(Get("p50"), Get("p90"), Get("p99"), Get("max")), null, null);
    }
}
