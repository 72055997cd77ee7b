using System.Data.Common;
using System.Globalization;
using System.Text;
using Tandem.Records;

namespace Tandem.Storage;

/// <summary>The dictionary of repeated strings (keys, routes, deployments, decisions…) of a <see cref="SqlRecordStore"/>, cached in memory.</summary>
internal sealed partial class SqlRecordStore
{
    /// <summary>The dictionary id of a string (0 for null or empty); names must have been resolved first.</summary>
    private int Id(DictionaryKind kind, string? value) => string.IsNullOrEmpty(value) ? 0 : _ids[(kind, value)];

    /// <summary>Drops cached ids of strings whose dictionary entries were replaced (an erased end user).</summary>
    internal void Forget(DictionaryKind kind, IEnumerable<string> values)
    {
        foreach (var value in values)
        {
            if (_ids.TryRemove((kind, value), out var id))
            {
                _names.TryRemove(id, out _);
            }
        }
    }

    private string? Name(int id) => id == 0 ? null : _names.TryGetValue(id, out var name) ? name : "#" + id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Makes sure every string of the batch has a dictionary id, inserting new ones.</summary>
    private async Task ResolveNamesAsync(DbConnection connection, IReadOnlyList<RequestRecord> records, CancellationToken cancellationToken)
    {
        if (_ids.Count > MaxCachedNames)
        {
            // High-cardinality kinds (end users) would grow the cache without bound; start over.
            _ids.Clear();
            _names.Clear();
        }

        var missing = new HashSet<(DictionaryKind, string)>();
        void Need(DictionaryKind kind, string? value)
        {
            if (!string.IsNullOrEmpty(value) && !_ids.ContainsKey((kind, value)))
            {
                missing.Add((kind, value));
            }
        }

        foreach (var r in records)
        {
            Need(DictionaryKind.Key, r.Key);
            Need(DictionaryKind.Route, r.Route);
            Need(DictionaryKind.Deployment, r.Deployment);
            Need(DictionaryKind.Decision, r.Decision);
            Need(DictionaryKind.Error, r.Error);
            Need(DictionaryKind.FinishReason, r.FinishReason);
            Need(DictionaryKind.Model, r.UpstreamModel);
            Need(DictionaryKind.Fingerprint, r.SystemFingerprint);
            Need(DictionaryKind.EndUser, r.EndUser);
            foreach (var a in r.Attempts)
            {
                Need(DictionaryKind.Deployment, a.Deployment);
                Need(DictionaryKind.Error, a.Error);
            }
        }

        if (missing.Count == 0)
        {
            return;
        }

        foreach (var chunk in missing.Chunk(500))
        {
            var sb = new StringBuilder("INSERT INTO dictionary (kind, value) VALUES ");
            var select = new StringBuilder("SELECT id, kind, value FROM dictionary WHERE ");
            var parameters = new List<(string, object?)>();
            for (var i = 0; i < chunk.Length; i++)
            {
                var p = i.ToString(CultureInfo.InvariantCulture);
                sb.Append(i == 0 ? "" : ", ").Append("(@k").Append(p).Append(", @v").Append(p).Append(')');
                select.Append(i == 0 ? "" : " OR ").Append("(kind = @k").Append(p).Append(" AND value = @v").Append(p).Append(')');
                parameters.Add(("@k" + p, (short)chunk[i].Item1));
                parameters.Add(("@v" + p, chunk[i].Item2));
            }

            sb.Append(" ON CONFLICT (kind, value) DO NOTHING");
            await Sql.ExecuteAsync(connection, null, sb.ToString(), cancellationToken, [.. parameters]).ConfigureAwait(false);
            var found = await Sql.QueryAsync(connection, select.ToString(), cancellationToken,
                r => (Id: Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture), Kind: (DictionaryKind)Convert.ToByte(r.GetValue(1), CultureInfo.InvariantCulture), Value: r.GetString(2)),
                [.. parameters]).ConfigureAwait(false);
            foreach (var (id, kind, value) in found)
            {
                _ids[(kind, value)] = id;
                _names[id] = value;
            }
        }
    }

    private async Task LoadNamesAsync(DbConnection connection, IEnumerable<int> ids, CancellationToken cancellationToken)
    {
        var missing = ids.Where(i => i != 0 && !_names.ContainsKey(i)).Distinct().ToList();
        foreach (var chunk in missing.Chunk(500))
        {
            var sql = "SELECT id, value FROM dictionary WHERE id IN (" + string.Join(", ", chunk.Select(i => i.ToString(CultureInfo.InvariantCulture))) + ")";
            var found = await Sql.QueryAsync(connection, sql, cancellationToken, r => (Id: Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture), Value: r.GetString(1))).ConfigureAwait(false);
            foreach (var (id, value) in found)
            {
                _names[id] = value;
            }
        }
    }
}
