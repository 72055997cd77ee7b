namespace Tandem.Server.Configuration;

/// <summary>
/// Notices changes to one file (the configuration, a model file) by looking at it a few times a second: a file up to
/// 1 MiB by its bytes (a save without a change is no change; an edit within the file system's timestamp resolution is
/// still one), a larger one by its length and last write time.
/// A <see cref="FileSystemWatcher"/> cannot do this cheaply on Linux: inotify watches the whole directory, and the
/// default SQLite database lives beside the configuration, so every write of its WAL became an event the gateway read
/// and discarded: about 6 % of the gateway's CPU under a closed loop (perf, docs/BENCHMARKS.md). Polling also sees what
/// events miss (a Kubernetes ConfigMap's symlink swap, a file replaced by rename, an edit on a network volume).
/// Runs on the system clock: file edits happen in real time, whatever clock the gateway's decisions use.
/// </summary>
internal sealed class PolledFileWatch : IDisposable
{
    /// <summary>How often the file is read.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly string _path;
    private readonly Action _changed;
    private readonly ITimer _timer;
    private const long MaxComparedBytes = 1024 * 1024;
    private readonly Lock _gate = new();
    private Snapshot _last;

    public PolledFileWatch(string path, Action changed, TimeSpan? interval = null)
    {
        _path = path;
        _changed = changed;
        _last = Read();
        var every = interval ?? Interval;
        _timer = TimeProvider.System.CreateTimer(static s => ((PolledFileWatch)s!).Poll(), this, every, every);
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
            changed = !now.Same(_last);
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

    private Snapshot Read()
    {
        var info = new FileInfo(_path);
        if (!info.Exists)
        {
            return default;
        }

        try
        {
            return new Snapshot(true, info.Length, info.LastWriteTimeUtc, info.Length <= MaxComparedBytes ? File.ReadAllBytes(_path) : null);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return default;
        }
    }

    /// <summary>What one look at the file saw.</summary>
    private readonly record struct Snapshot(bool Exists, long Length, DateTime Written, byte[]? Bytes)
    {
        /// <summary>Small files compare by their bytes (a save without a change is no change); large ones by length and time.</summary>
        public bool Same(Snapshot other) =>
            Exists == other.Exists
            && (!Exists || (Bytes is not null && other.Bytes is not null
                ? Bytes.AsSpan().SequenceEqual(other.Bytes)
                : Length == other.Length && Written == other.Written));
    }

    public void Dispose() => _timer.Dispose();
}
