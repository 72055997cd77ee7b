using System.Data.Common;
using System.Globalization;
using System.Text;

namespace Tandem.Storage;

/// <summary>
/// The request log's listing (<see cref="IRecordSearch"/>). Keyset pages ordered by (time, request id) descending:
/// the next page starts strictly below the previous page's last (time, id), so a page reads only its own rows through
/// an index (<c>records_time</c>, or <c>records_route_time</c> when filtered by route; schema version 007) however
/// deep it is, where OFFSET would read and drop every earlier row.
/// </summary>
internal sealed partial class SqlRecordStore : IRecordSearch
{
    private static readonly string SummaryColumns = "time_ms, request_id, operation, key_id, route_id, deployment_id, decision_id, status, error_id, attempt_count, total_us, prompt_tokens, completion_tokens, cost_nanos";

    public async Task<RecordPage> ListAsync(RecordQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, RecordQuery.MaxLimit);
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var where = new StringBuilder("WHERE 1 = 1");
            var parameters = new List<(string, object?)>();

            // Names are stored as dictionary ids: a name never seen matches nothing.
            foreach (var (kind, value, column) in new[]
            {
                (DictionaryKind.Route, query.Route, "route_id"),
                (DictionaryKind.Deployment, query.Deployment, "deployment_id"),
                (DictionaryKind.Key, query.Key, "key_id"),
            })
            {
                if (string.IsNullOrEmpty(value))
                {
                    continue;
                }

                var id = await FindIdAsync(connection, kind, value, cancellationToken).ConfigureAwait(false);
                if (id is null)
                {
                    return new RecordPage([], null);
                }

                where.Append(" AND ").Append(column).Append(" = @").Append(column);
                parameters.Add(("@" + column, id.Value));
            }

            if (query.Status is int status)
            {
                where.Append(" AND status = @status");
                parameters.Add(("@status", (short)status));
            }

            if (query.Failed is bool failed)
            {
                where.Append(failed ? " AND error_id <> 0" : " AND error_id = 0");
            }

            if (!string.IsNullOrEmpty(query.RequestId))
            {
                where.Append(" AND request_id = @rid");
                parameters.Add(("@rid", query.RequestId));
            }

            if (query.From is { } from)
            {
                where.Append(" AND time_ms >= @from");
                parameters.Add(("@from", from.ToUnixTimeMilliseconds()));
            }

            if (query.To is { } to)
            {
                where.Append(" AND time_ms < @to");
                parameters.Add(("@to", to.ToUnixTimeMilliseconds()));
            }

            if (query.After is { } after)
            {
                // (time, id) < (t, i), spelled out: SQLite and PostgreSQL both use the time index for the first term.
                where.Append(" AND (time_ms < @at OR (time_ms = @at AND request_id < @ai))");
                parameters.Add(("@at", after.TimeMs));
                parameters.Add(("@ai", after.RequestId));
            }

            // One more than the page, to know whether an older page exists.
            var sql = "SELECT " + SummaryColumns + " FROM records " + where + " ORDER BY time_ms DESC, request_id DESC LIMIT "
                + (query.Limit + 1).ToString(CultureInfo.InvariantCulture);
            var rows = await Sql.QueryAsync(connection, sql, cancellationToken, ReadSummary, [.. parameters]).ConfigureAwait(false);
            await LoadNamesAsync(connection, rows.SelectMany(r => new[] { r.Key, r.Route, r.Deployment, r.Decision, r.Error }), cancellationToken).ConfigureAwait(false);
            var page = rows.Take(query.Limit).Select(r => r.Summary with
            {
                Key = Name(r.Key) ?? "",
                Route = Name(r.Route),
                Deployment = Name(r.Deployment),
                Decision = Name(r.Decision) ?? "",
                Error = Name(r.Error),
            }).ToList();
            var next = rows.Count > query.Limit ? new RecordCursor(page[^1].Time.ToUnixTimeMilliseconds(), page[^1].Id) : null;
            return new RecordPage(page, next);
        }
    }

    public async Task<LatencyPercentiles?> LatencyAsync(DateTimeOffset from, DateTimeOffset to, string? deployment = null, CancellationToken cancellationToken = default)
    {
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var where = "WHERE time_ms >= @a AND time_ms < @b";
            var parameters = new List<(string, object?)> { ("@a", from.ToUnixTimeMilliseconds()), ("@b", to.ToUnixTimeMilliseconds()) };
            if (!string.IsNullOrEmpty(deployment))
            {
                if (await FindIdAsync(connection, DictionaryKind.Deployment, deployment, cancellationToken).ConfigureAwait(false) is not int id)
                {
                    return null;
                }

                where += " AND deployment_id = @d";
                parameters.Add(("@d", id));
            }

            var count = Convert.ToInt64(await Sql.ScalarAsync(connection, null, "SELECT COUNT(*) FROM records " + where, cancellationToken, [.. parameters]).ConfigureAwait(false), CultureInfo.InvariantCulture);
            if (count == 0)
            {
                return null;
            }

            async Task<double> AtAsync(double p)
            {
                var rank = (long)Math.Ceiling(p * count);
                var value = await Sql.ScalarAsync(connection, null, "SELECT total_us FROM records " + where + " ORDER BY total_us LIMIT 1 OFFSET "
                    + Math.Max(0, rank - 1).ToString(CultureInfo.InvariantCulture), cancellationToken, [.. parameters]).ConfigureAwait(false);
                return Convert.ToInt64(value, CultureInfo.InvariantCulture) / 1000.0;
            }

            return new LatencyPercentiles(count, await AtAsync(0.50).ConfigureAwait(false), await AtAsync(0.95).ConfigureAwait(false), await AtAsync(0.99).ConfigureAwait(false));
        }
    }

    public async Task<TrafficPeaks> PeaksAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            (string, object?)[] window = [("@a", from.ToUnixTimeMilliseconds()), ("@b", to.ToUnixTimeMilliseconds())];
            var peak = await Sql.QueryAsync(connection,
                "SELECT time_ms / 60000, SUM(prompt_tokens + completion_tokens) FROM records WHERE time_ms >= @a AND time_ms < @b " +
                "GROUP BY time_ms / 60000 ORDER BY 2 DESC, 1 LIMIT 1", cancellationToken,
                r => (Minute: Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture), Tokens: Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture)), window).ConfigureAwait(false);
            if (peak.Count == 0)
            {
                return new TrafficPeaks(0, null, 0);
            }

            var count = Convert.ToInt64(await Sql.ScalarAsync(connection, null, "SELECT COUNT(*) FROM records WHERE time_ms >= @a AND time_ms < @b", cancellationToken, window).ConfigureAwait(false), CultureInfo.InvariantCulture);
            var rank = (long)Math.Ceiling(0.95 * count);
            var p95 = await Sql.ScalarAsync(connection, null, "SELECT prompt_tokens + completion_tokens FROM records WHERE time_ms >= @a AND time_ms < @b ORDER BY 1 LIMIT 1 OFFSET "
                + (rank - 1).ToString(CultureInfo.InvariantCulture), cancellationToken, window).ConfigureAwait(false);
            return new TrafficPeaks(peak[0].Tokens, DateTimeOffset.FromUnixTimeMilliseconds(peak[0].Minute * 60_000), Convert.ToInt64(p95, CultureInfo.InvariantCulture));
        }
    }

    private async Task<int?> FindIdAsync(DbConnection connection, DictionaryKind kind, string value, CancellationToken cancellationToken)
    {
        if (_ids.TryGetValue((kind, value), out var cached))
        {
            return cached;
        }

        var found = await Sql.ScalarAsync(connection, null, "SELECT id FROM dictionary WHERE kind = @k AND value = @v", cancellationToken,
            ("@k", (short)kind), ("@v", value)).ConfigureAwait(false);
        return found is null ? null : Convert.ToInt32(found, CultureInfo.InvariantCulture);
    }

    private static (RecordSummary Summary, int Key, int Route, int Deployment, int Decision, int Error) ReadSummary(DbDataReader r)
    {
        long L(int i) => Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);
        return (new RecordSummary
        {
            Time = DateTimeOffset.FromUnixTimeMilliseconds(L(0)),
            Id = r.GetString(1),
            Operation = RecordColumns.Operation(L(2)),
            Status = (int)L(7),
            Attempts = (int)L(9),
            TotalMs = L(10) / 1000.0,
            PromptTokens = (int)L(11),
            CompletionTokens = (int)L(12),
            Cost = RecordColumns.Dollars(L(13)),
        }, (int)L(3), (int)L(4), (int)L(5), (int)L(6), (int)L(8));
    }
}
