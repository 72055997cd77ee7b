namespace Tandem.Server.Configuration;

/// <summary>
/// Notices changes to one file by reading it a few times a second and comparing its bytes with the last read.
/// A <see cref="FileSystemWatcher"/> cannot do this cheaply on Linux: inotify watches the whole directory, and the
/// default SQLite database lives beside the configuration, so every write of its WAL became an event the gateway read
/// and discarded: about 6 % of the gateway's CPU under a closed loop (perf, docs/BENCHMARKS.md). Polling also sees what
/// events miss (a Kubernetes ConfigMap's symlink swap, a file replaced by rename, an edit on a network volume).
/// Runs on the system clock: file edits happen in real time, whatever clock the gateway's decisions use.
/// </summary>
internal sealed class ConfigFileWatch : IDisposable
{
    /// <summary>How often the file is read.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly string _path;
    private readonly Action _changed;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private byte[]? _last;

    public ConfigFileWatch(string path, Action changed, TimeSpan? interval = null)
    {
        _path = path;
        _changed = changed;
        _last = Read();
        var every = interval ?? Interval;
        _timer = TimeProvider.System.CreateTimer(static s => ((ConfigFileWatch)s!).Poll(), this, every, every);
    }

    /// <summary>Reads the file once; calls back when its bytes differ from the last read (or it appeared or went away).</summary>
    internal void Poll()
    {
        if (!_gate.TryEnter())
        {
            return; // the previous poll is still reading
        }

        bool changed;
        try
        {
            var now = Read();
            changed = now is null != _last is null || (now is not null && !now.AsSpan().SequenceEqual(_last));
            _last = now;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            changed = false; // being replaced or briefly unreadable: the next poll sees the result
        }
        finally
        {
            _gate.Exit();
        }

        if (changed)
        {
            _changed();
        }
    }

    private byte[]? Read()
    {
        try
        {
            return File.ReadAllBytes(_path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public void Dispose() => _timer.Dispose();
}
