using System.Data.Common;
using System.Globalization;

namespace Tandem.Storage;

/// <summary>Daily roll-ups and retention of a <see cref="SqlRecordStore"/>.</summary>
internal sealed partial class SqlRecordStore
{
    public async Task<MaintenanceResult> MaintainAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // Several gateway instances may share a database: one of them maintains it at a time.
            if (!await _db.TryLockMaintenanceAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                return new MaintenanceResult(0, 0, 0);
            }

            try
            {
                return await MaintainLockedAsync(connection, now, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await _db.UnlockMaintenanceAsync(connection, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task<MaintenanceResult> MaintainLockedAsync(DbConnection connection, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var today = now.ToUnixTimeMilliseconds() / RecordColumns.DayMs;
        var last = await Sql.ScalarAsync(connection, null, "SELECT value FROM meta WHERE name = 'last_rollup_day'", cancellationToken).ConfigureAwait(false);
        // Recompute the last rolled-up day too: records queued across midnight may have arrived since. Only the
        // first pass looks for the oldest record (a scan on PostgreSQL, whose time index is BRIN).
        long? first = last is string s ? long.Parse(s, CultureInfo.InvariantCulture) - 1 : null;
        if (first is null && await Sql.ScalarAsync(connection, null, "SELECT MIN(time_ms) FROM records", cancellationToken).ConfigureAwait(false) is { } oldest)
        {
            first = Convert.ToInt64(oldest, CultureInfo.InvariantCulture) / RecordColumns.DayMs;
        }

        var rolled = 0;
        for (var day = first ?? today; day < today; day++)
        {
            if (await RollUpDayAsync(connection, day, cancellationToken).ConfigureAwait(false))
            {
                rolled++;
            }
        }

        if (today - 1 > (last is string l ? long.Parse(l, CultureInfo.InvariantCulture) : long.MinValue))
        {
            await SetMetaAsync(connection, "last_rollup_day", (today - 1).ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        }

        // Whole days only, and only days already rolled up (all before today).
        var cutoff = (today - _db.Options.RetentionDays) * RecordColumns.DayMs;
        long deleted = 0, samplesDeleted = 0, evaluationsDeleted = 0, feedbackDeleted = 0;
        var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            deleted = await Sql.ExecuteAsync(connection, tx, "DELETE FROM records WHERE time_ms < @c", cancellationToken, ("@c", cutoff)).ConfigureAwait(false);
            await Sql.ExecuteAsync(connection, tx, "DELETE FROM attempts WHERE time_ms < @c", cancellationToken, ("@c", cutoff)).ConfigureAwait(false);
            await Sql.ExecuteAsync(connection, tx, "DELETE FROM contents WHERE time_ms < @c", cancellationToken, ("@c", cutoff)).ConfigureAwait(false);
            await Sql.ExecuteAsync(connection, tx, "DELETE FROM batches WHERE time_ms < @c", cancellationToken, ("@c", now.ToUnixTimeMilliseconds() - (7 * RecordColumns.DayMs))).ConfigureAwait(false);
            // Shadow samples hold both answers of a request and evaluations their evidence: they follow the records'
            // retention (they live in the same database, so the same maintenance pass and lock cover them).
            (samplesDeleted, evaluationsDeleted) = await SqlMigrationStore.DeleteBeforeAsync(connection, tx, cutoff, cancellationToken).ConfigureAwait(false);
            // Feedback may hold a conversation the client sent and corrections: it follows the records' retention too
            // (export it into a dataset before then).
            feedbackDeleted = await Sql.ExecuteAsync(connection, tx, "DELETE FROM tandem_feedback WHERE time < @c", cancellationToken, ("@c", cutoff * 1000)).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        await SetMetaAsync(connection, "raw_since_day", (today - _db.Options.RetentionDays).ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        var rollupsDeleted = await Sql.ExecuteAsync(connection, null, "DELETE FROM rollups WHERE day < @d", cancellationToken, ("@d", today - _db.Options.RollupRetentionDays)).ConfigureAwait(false);
        return new MaintenanceResult(rolled, deleted, rollupsDeleted, samplesDeleted, evaluationsDeleted, feedbackDeleted);
    }

    private static async Task SetMetaAsync(DbConnection connection, string name, string value, CancellationToken cancellationToken)
    {
        var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            await Sql.ExecuteAsync(connection, tx, "DELETE FROM meta WHERE name = @n", cancellationToken, ("@n", name)).ConfigureAwait(false);
            await Sql.ExecuteAsync(connection, tx, "INSERT INTO meta (name, value) VALUES (@n, @v)", cancellationToken, ("@n", name), ("@v", value)).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Recomputes one day's roll-ups from its raw records; false when the day has none (its roll-ups stay).</summary>
    private async Task<bool> RollUpDayAsync(DbConnection connection, long day, CancellationToken cancellationToken)
    {
        var groups = new Dictionary<(int Route, int Deployment, int Key), Acc>();
        var cmd = Sql.Command(connection, null,
            "SELECT route_id, deployment_id, key_id, error_id, flags, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, cost_nanos, total_us " +
            "FROM records WHERE time_ms >= @a AND time_ms < @b", ("@a", day * RecordColumns.DayMs), ("@b", (day + 1) * RecordColumns.DayMs));
        await using (cmd.ConfigureAwait(false))
        {
            var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    long L(int i) => Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture);
                    var key = ((int)L(0), (int)L(1), (int)L(2));
                    if (!groups.TryGetValue(key, out var acc))
                    {
                        groups[key] = acc = new Acc();
                    }

                    acc.Requests++;
                    acc.Errors += L(3) != 0 ? 1 : 0;
                    acc.Estimated += (L(4) & (int)RecordFlags.TokensEstimated) != 0 ? 1 : 0;
                    acc.Prompt += L(5);
                    acc.Cached += L(6);
                    acc.Completion += L(7);
                    acc.Reasoning += L(8);
                    acc.Cost += L(9);
                    acc.Latencies.Add((int)L(10));
                }
            }
        }

        if (groups.Count == 0)
        {
            return false;
        }

        var rows = groups.ToList();
        var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            await Sql.ExecuteAsync(connection, tx, "DELETE FROM rollups WHERE day = @d", cancellationToken, ("@d", day)).ConfigureAwait(false);
            string[] columns = ["day", "route_id", "deployment_id", "key_id", "requests", "errors", "estimated", "prompt_tokens", "cached_tokens",
                "completion_tokens", "reasoning_tokens", "cost_nanos", "p50_us", "p95_us", "p99_us"];
            foreach (var (_, acc) in rows)
            {
                acc.Latencies.Sort();
            }

            await _db.InsertRowsAsync(connection, tx, "rollups", columns, rows.Count, (i, c) =>
            {
                var ((route, deployment, key), a) = rows[i];
                return c switch
                {
                    0 => (int)day,
                    1 => route,
                    2 => deployment,
                    3 => key,
                    4 => a.Requests,
                    5 => a.Errors,
                    6 => a.Estimated,
                    7 => a.Prompt,
                    8 => a.Cached,
                    9 => a.Completion,
                    10 => a.Reasoning,
                    11 => a.Cost,
                    12 => Percentile(a.Latencies, 0.50),
                    13 => Percentile(a.Latencies, 0.95),
                    _ => Percentile(a.Latencies, 0.99),
                };
            }, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    internal static int Percentile(List<int> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    private sealed class Acc
    {
        public long Requests;
        public long Errors;
        public long Estimated;
        public long Prompt;
        public long Cached;
        public long Completion;
        public long Reasoning;
        public long Cost;
        public List<int> Latencies { get; } = [];
    }
}
