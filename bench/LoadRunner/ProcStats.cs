using System.Globalization;

namespace Tandem.LoadRunner;

/// <summary>CPU time and resident memory of a process and its descendants, read from /proc (Linux only).</summary>
internal sealed class ProcStats
{
    private const double ClockTicksPerSecond = 100.0; // sysconf(_SC_CLK_TCK) on Linux x64/arm64
    private readonly int _root;
    private long _startTicks;
    private long _startWall;
    private long _maxRssKb;
    private bool _peakReset;

    public ProcStats(int root) => _root = root;

    /// <summary>Starts a measurement window: remembers CPU time and resets the kernel's peak-RSS counter.</summary>
    public void Begin()
    {
        var pids = Tree(_root);
        _startTicks = CpuTicks(pids);
        _startWall = Environment.TickCount64;
        _maxRssKb = RssKb(pids, "VmRSS:");
        _peakReset = true;
        foreach (var pid in pids)
        {
            try
            {
                // "5" resets VmHWM to the current RSS (Linux ≥ 4.0).
                File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _peakReset = false;
            }
        }
    }

    /// <summary>Samples the current RSS (call periodically; the peak is kept).</summary>
    public void Sample() => _maxRssKb = Math.Max(_maxRssKb, RssKb(Tree(_root), "VmRSS:"));

    /// <summary>Ends the window: CPU use in percent of one core, and peak RSS in MB of the whole process tree.</summary>
    public (double CpuPercent, double PeakRssMb, double RssMb) End()
    {
        var pids = Tree(_root);
        var ticks = CpuTicks(pids) - _startTicks;
        var wall = Math.Max(1, Environment.TickCount64 - _startWall) / 1000.0;
        var rss = RssKb(pids, "VmRSS:");
        var peak = Math.Max(_maxRssKb, rss);
        if (_peakReset)
        {
            peak = Math.Max(peak, RssKb(pids, "VmHWM:"));
        }

        return (ticks / ClockTicksPerSecond / wall * 100.0, peak / 1024.0, rss / 1024.0);
    }

    /// <summary>The process and all its descendants.</summary>
    public static List<int> Tree(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            var fields = StatFields(pid);
            if (fields is null || fields.Length < 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid))
            {
                continue;
            }

            if (!children.TryGetValue(ppid, out var list))
            {
                children[ppid] = list = [];
            }

            list.Add(pid);
        }

        var result = new List<int> { root };
        for (var i = 0; i < result.Count; i++)
        {
            if (children.TryGetValue(result[i], out var kids))
            {
                result.AddRange(kids);
            }
        }

        return result;
    }

    private static long CpuTicks(List<int> pids)
    {
        long total = 0;
        foreach (var pid in pids)
        {
            var f = StatFields(pid);
            if (f is { Length: > 12 })
            {
                // After "pid (comm)": [0]=state [1]=ppid … [11]=utime [12]=stime.
                total += long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    private static long RssKb(List<int> pids, string field)
    {
        long total = 0;
        foreach (var pid in pids)
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith(field, StringComparison.Ordinal))
                    {
                        total += long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                        break;
                    }
                }
            }
            catch (IOException)
            {
            }
        }

        return total;
    }

    private static string[]? StatFields(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var close = text.LastIndexOf(')');
            return close < 0 ? null : text[(close + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
