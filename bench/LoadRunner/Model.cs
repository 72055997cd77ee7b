using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Tandem.LoadRunner;

internal enum RunMode
{
    Full,
    Smoke,
    Soak,
}

internal sealed record BenchOptions(string Repo, string Out, RunMode Mode, HashSet<string>? Targets, double SoakMinutes, string Command, bool ReportOnly = false, string? Baseline = null, string? BaselineName = null,
    IReadOnlyDictionary<string, string>? VariantEnv = null, IReadOnlyList<string>? Only = null, bool Router = false)
{
    public static BenchOptions Parse(string[] args)
    {
        string repo = ".", output = "bench/results/tmp";
        var mode = RunMode.Full;
        HashSet<string>? targets = null;
        var soakMinutes = 10.0;
        var command = "bench/run.sh";
        var reportOnly = false;
        string? baseline = null, baselineName = null;
        Dictionary<string, string>? variantEnv = null;
        List<string>? only = null;
        var router = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--repo": repo = args[++i]; break;
                case "--out": output = args[++i]; break;
                case "--smoke": mode = RunMode.Smoke; break;
                case "--soak": mode = RunMode.Soak; break;
                case "--targets": targets = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]; break;
                case "--soak-minutes": soakMinutes = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--command": command = args[++i]; break;
                case "--report": reportOnly = true; output = args[++i]; break;
                case "--baseline": baseline = args[++i]; break;
                case "--baseline-name": baselineName = args[++i]; break;
                case "--variant-env":
                    // "K=V,K2=V2": a target "variant", this tree's tandem with these environment variables (an A/B of settings).
                    variantEnv = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "", StringComparer.Ordinal);
                    break;
                case "--only":
                    // "json-0ms:1000,stream:200,json-0ms:closed": only these phases (a quick look; no cold phase).
                    only = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    break;
                case "--router": router = true; break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }

        return new BenchOptions(Path.GetFullPath(repo), Path.GetFullPath(output), mode, targets, soakMinutes, command, reportOnly,
            baseline is null ? null : Path.GetFullPath(baseline), baselineName, variantEnv, only, router);
    }
}

internal sealed record Plan(TimeSpan Phase, TimeSpan Warmup, TimeSpan Closed, TimeSpan Drain, IReadOnlyList<(Scenario Scenario, int[] Rates, bool Closed)> Scenarios);

/// <summary>One measured (or skipped) phase of one target.</summary>
internal sealed record PhaseResult(string Target, string Scenario, string Mode, int? Rate, LoadSample? Sample, double? CpuPercent, double? PeakRssMb, string LoadAverage, bool Saturated, string? Note)
{
    public static PhaseResult Skipped(string target, string why) => new(target, "", "skipped", null, null, null, null, "", false, why);

    /// <summary>
    /// Whether a fixed-rate phase shows a target that could not keep up: under 95 % of the offered rate, over 1 %
    /// errors, or a p99 over 1 s (requests queueing behind the target even if they all complete).
    /// </summary>
    public static bool IsSaturated(LoadSample sample, int rate) =>
        sample.Throughput < 0.95 * rate || sample.Errors > 0.01 * sample.Sent || sample.Latency is not { P99: <= 1_000_000 };
}

/// <summary>One 30-second window of the soak.</summary>
internal sealed record SoakSample(double Minute, double Throughput, long Errors, double P50, double P99, double CpuPercent, double PeakRssMb, double RssMb, string LoadAverage);

internal sealed record Machine(int Cores, string Cpu, double MemoryGb, string Os, string Kernel, string Dotnet, string? Nginx, string? Wrk, string? Node, string? PortkeyVersion,
    string LoadAverageStart, string LoadAverageEnd, double Minutes, string Command, string StartedUtc)
{
    public static Machine Describe(BenchOptions options, string? nginx, string? wrk, string? node, string portkeyJs)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : "unknown";
        var memKb = File.Exists("/proc/meminfo")
            ? long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)
            : 0;
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?[12..].Trim('"') ?? RuntimeInformation.OSDescription
            : RuntimeInformation.OSDescription;
        var kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "";
        string? portkey = null;
        var portkeyPackage = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(portkeyJs)!)!, "package.json");
        if (File.Exists(portkeyPackage))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(portkeyPackage));
            portkey = doc.RootElement.GetProperty("version").GetString();
        }

        var load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        return new Machine(Environment.ProcessorCount, cpu, memKb / 1024.0 / 1024.0, os, kernel, RuntimeInformation.FrameworkDescription,
            nginx is null ? null : Capture(nginx, "-v"), wrk is null ? null : Capture(wrk, "-v").Split('\n')[0].Trim(), node is null ? null : Capture(node, "--version"), portkey,
            load, load, 0, options.Command, DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture));
    }

    private static string Capture(string file, string arg)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, arg) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return text.Trim().Replace("nginx version: ", "", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}

/// <summary>The nginx reference hop's configuration.</summary>
internal static class Nginx
{
    public static void WriteConfig(string prefix, int port, int sim0, int sim20, int simStream)
    {
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        Directory.CreateDirectory(Path.Combine(prefix, "tmp"));
        var user = Environment.UserName == "root" ? "user root;\n" : "";
        File.WriteAllText(Path.Combine(prefix, "nginx.conf"), $$"""
            # Generated by bench/LoadRunner: a plain reverse-proxy hop, as a physical-limit reference.
            {{user}}worker_processes auto;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/logs/error.log warn;
            events { worker_connections 8192; }
            http {
              access_log off;
              client_body_temp_path {{prefix}}/tmp/body;
              proxy_temp_path {{prefix}}/tmp/proxy;
              fastcgi_temp_path {{prefix}}/tmp/fastcgi;
              uwsgi_temp_path {{prefix}}/tmp/uwsgi;
              scgi_temp_path {{prefix}}/tmp/scgi;
              keepalive_requests 1000000;
              upstream u0 { server 127.0.0.1:{{sim0}}; keepalive 256; keepalive_requests 1000000; }
              upstream u20 { server 127.0.0.1:{{sim20}}; keepalive 256; keepalive_requests 1000000; }
              upstream us { server 127.0.0.1:{{simStream}}; keepalive 256; keepalive_requests 1000000; }
              server {
                listen 127.0.0.1:{{port}};
                proxy_http_version 1.1;
                proxy_set_header Connection "";
                proxy_buffering off;
                location /u20/ { proxy_pass http://u20/; }
                location /us/ { proxy_pass http://us/; }
                location / { proxy_pass http://u0; }
              }
            }

            """);
    }
}
