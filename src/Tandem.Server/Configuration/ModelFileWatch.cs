using Tandem.Configuration;

namespace Tandem.Server.Configuration;

/// <summary>
/// Watches the router model files (<c>tiers.model</c>) the configuration in force names, so that replacing a model
/// file alone, with the configuration unchanged, reloads the snapshot through the same path as a configuration edit
/// (issue 12, item 7): the new model's version shows in each decision, and an unreadable file is refused like an
/// invalid configuration, keeping the model in force. Replace a model by writing it beside the old one and renaming
/// it over it, so that no reload reads a half-written file.
/// </summary>
internal sealed class ModelFileWatch : IDisposable
{
    private readonly Action _changed;
    private readonly object _lock = new();
    private Dictionary<string, PolledFileWatch> _watchers = new(StringComparer.Ordinal);
    private bool _disposed;

    public ModelFileWatch(Action changed) => _changed = changed;

    /// <summary>Watches exactly the model files <paramref name="config"/> names (paths as the validator reads them).</summary>
    public void Track(TandemConfig config)
    {
        var paths = config.Routes
            .Select(r => r.Tiers)
            .Where(t => t is { Scorer: "model", Model: not null })
            .Select(t => Path.GetFullPath(t!.Model!))
            .ToHashSet(StringComparer.Ordinal);
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var next = new Dictionary<string, PolledFileWatch>(StringComparer.Ordinal);
            foreach (var path in paths)
            {
                if (_watchers.Remove(path, out var kept))
                {
                    next[path] = kept;
                }
                else if (Directory.Exists(Path.GetDirectoryName(path)))
                {
                    next[path] = Watch(path);
                }
            }

            foreach (var stale in _watchers.Values)
            {
                stale.Dispose();
            }

            _watchers = next;
        }
    }

    // Polled, not watched with inotify: see PolledFileWatch (a model beside the database would see every WAL write).
    private PolledFileWatch Watch(string path) => new(path, _changed);

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var w in _watchers.Values)
            {
                w.Dispose();
            }

            _watchers.Clear();
        }
    }
}
