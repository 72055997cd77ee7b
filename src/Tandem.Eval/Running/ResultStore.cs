using System.Text;
using System.Text.Json;

namespace Tandem.Eval.Running;

/// <summary>What a results directory was produced from; a resumed run must match it.</summary>
public sealed record RunManifest
{
    /// <summary>The suite's name.</summary>
    public string Suite { get; set; } = "";

    /// <summary>The suite's fingerprint.</summary>
    public string SuiteFingerprint { get; set; } = "";

    /// <summary>The answer settings that change results (temperature), as text.</summary>
    public string Settings { get; set; } = "";
}

/// <summary>
/// <c>results.jsonl</c> in the output directory: loaded at start (the last record per key wins; a torn last line from
/// an interrupted run is ignored), appended in batches, each batch flushed to disk before the next.
/// </summary>
internal sealed class ResultStore : IAsyncDisposable
{
    private readonly FileStream _file;
    private readonly SemaphoreSlim _lock = new(1, 1);

    private ResultStore(FileStream file, Dictionary<string, EvalRecord> records)
    {
        _file = file;
        Records = records;
    }

    /// <summary>The records by key, as loaded plus as appended.</summary>
    public Dictionary<string, EvalRecord> Records { get; }

    public static string ResultsPath(string dir) => Path.Combine(dir, "results.jsonl");

    public static string ManifestPath(string dir) => Path.Combine(dir, "manifest.json");

    /// <summary>Reads every readable record of a results file.</summary>
    public static Dictionary<string, EvalRecord> Load(string path)
    {
        var records = new Dictionary<string, EvalRecord>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return records;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize(line, EvalJsonContext.Default.EvalRecord) is { } r)
                {
                    records[r.Key] = r;
                }
            }
            catch (JsonException)
            {
                // A line torn by an interrupted write: its case is simply run again.
            }
        }

        return records;
    }

    public static async Task<ResultStore> OpenAsync(string dir, RunManifest manifest, bool fresh, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dir);
        var manifestPath = ManifestPath(dir);
        var resultsPath = ResultsPath(dir);
        if (fresh)
        {
            File.Delete(resultsPath);
        }
        else if (File.Exists(manifestPath) && File.Exists(resultsPath))
        {
            var old = JsonSerializer.Deserialize(await File.ReadAllTextAsync(manifestPath, cancellationToken).ConfigureAwait(false), EvalJsonContext.Default.RunManifest);
            if (old is not null && (old.SuiteFingerprint != manifest.SuiteFingerprint || old.Settings != manifest.Settings))
            {
                throw new InvalidOperationException(
                    $"{dir} holds results of a different suite or settings ({old.Suite}); use another --out directory or pass --fresh");
            }
        }

        await File.WriteAllTextAsync(manifestPath, JsonSerializer.Serialize(manifest, EvalJsonContext.Default.RunManifest), cancellationToken).ConfigureAwait(false);
        var records = Load(resultsPath);
        var file = new FileStream(resultsPath, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, FileOptions.Asynchronous);
        if (file.Length > 0)
        {
            // An interrupted run may have left a line without its newline; start on a fresh line.
            using var check = new FileStream(resultsPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            check.Seek(-1, SeekOrigin.End);
            if (check.ReadByte() != '\n')
            {
                file.WriteByte((byte)'\n');
            }
        }

        return new ResultStore(file, records);
    }

    /// <summary>Appends a batch and flushes it to disk (fsync) before returning.</summary>
    public async Task AppendAsync(IReadOnlyList<EvalRecord> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var sb = new StringBuilder();
        foreach (var r in batch)
        {
            sb.Append(JsonSerializer.Serialize(r, EvalJsonContext.Default.EvalRecord)).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _file.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
            _file.Flush(flushToDisk: true);
            foreach (var r in batch)
            {
                Records[r.Key] = r;
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _file.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }
}
