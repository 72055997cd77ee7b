using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Tandem.Configuration;
using Tandem.Costs;
using Tandem.Records;

namespace Tandem.Storage;

[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;

/// <summary>
/// Request records in a <see cref="StorageDatabase"/>: the dictionary of repeated strings, batched idempotent writes,
/// reads and usage queries (this file), daily roll-ups and retention (<c>SqlRecordStore.Maintenance.cs</c>). The SQL
/// is the same on SQLite and PostgreSQL; the database supplies connections, the bulk insert of records and sizes.
/// </summary>
internal sealed partial class SqlRecordStore : IRecordStore
{
    private const int MaxCachedNames = 100_000;

    private readonly StorageDatabase _db;
    private readonly ConcurrentDictionary<(DictionaryKind Kind, string Value), int> _ids = new();
    private readonly ConcurrentDictionary<int, string> _names = new();

    public SqlRecordStore(StorageDatabase database)
    {
        _db = database;
    }

    public string Engine => _db.Engine;

    /// <summary>The database this store is in.</summary>
    public StorageDatabase Database => _db;

    public Task MigrateAsync(CancellationToken cancellationToken = default) => _db.MigrateAsync(cancellationToken);

    public Task<bool> PingAsync(CancellationToken cancellationToken = default) => _db.PingAsync(cancellationToken);

    public Task<StorageSize> MeasureAsync(CancellationToken cancellationToken = default) => _db.MeasureAsync(cancellationToken);

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    public async Task WriteAsync(IReadOnlyList<RequestRecord> records, Guid batchId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return;
        }

        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await ResolveNamesAsync(connection, records, cancellationToken).ConfigureAwait(false);
            var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                var id = batchId.ToString("N");
                if (await Sql.ScalarAsync(connection, tx, "SELECT 1 FROM batches WHERE id = @id", cancellationToken, ("@id", id)).ConfigureAwait(false) is not null)
                {
                    return; // committed by an earlier try whose acknowledgement was lost
                }

                await Sql.ExecuteAsync(connection, tx, "INSERT INTO batches (id, time_ms, size) VALUES (@id, @t, @n)", cancellationToken,
                    ("@id", id), ("@t", _db.Time.GetUtcNow().ToUnixTimeMilliseconds()), ("@n", records.Count)).ConfigureAwait(false);
                await _db.InsertRecordsAsync(connection, tx, records, Id, cancellationToken).ConfigureAwait(false);

                var attempts = new List<(RequestRecord Record, int Seq, AttemptRecord Attempt)>();
                var contents = new List<RequestRecord>();
                foreach (var r in records)
                {
                    if (r.Attempts.Count > 1)
                    {
                        for (var i = 0; i < r.Attempts.Count; i++)
                        {
                            attempts.Add((r, i, r.Attempts[i]));
                        }
                    }

                    if (r.PromptContent is not null || r.ResponseContent is not null)
                    {
                        contents.Add(r);
                    }
                }

                if (attempts.Count > 0)
                {
                    await _db.InsertRowsAsync(connection, tx, "attempts", RecordColumns.Attempts, attempts.Count, (row, col) =>
                    {
                        var (r, seq, a) = attempts[row];
                        return col switch
                        {
                            0 => r.Id,
                            1 => r.Time.ToUnixTimeMilliseconds(),
                            2 => (short)seq,
                            3 => Id(DictionaryKind.Deployment, a.Deployment),
                            4 => (short)a.Status,
                            5 => Id(DictionaryKind.Error, a.Error),
                            _ => RecordColumns.Micros(a.LatencyMs),
                        };
                    }, cancellationToken).ConfigureAwait(false);
                }

                if (contents.Count > 0)
                {
                    var cipher = _db.Cipher;
                    await _db.InsertRowsAsync(connection, tx, "contents", RecordColumns.Contents, contents.Count, (row, col) => col switch
                    {
                        0 => contents[row].Id,
                        1 => contents[row].Time.ToUnixTimeMilliseconds(),
                        2 => cipher is null ? contents[row].PromptContent : cipher.Encrypt(contents[row].PromptContent, "prompt"),
                        3 => cipher is null ? contents[row].ResponseContent : cipher.Encrypt(contents[row].ResponseContent, "response"),
                        _ => cipher?.ActiveKeyId,
                    }, cancellationToken).ConfigureAwait(false);
                }

                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<long> CountAsync(DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default)
    {
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var value = await Sql.ScalarAsync(connection, null, "SELECT COUNT(*) FROM records WHERE time_ms >= @a AND time_ms < @b", cancellationToken,
                ("@a", from?.ToUnixTimeMilliseconds() ?? long.MinValue), ("@b", to?.ToUnixTimeMilliseconds() ?? long.MaxValue)).ConfigureAwait(false);
            return Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }
    }

    public async Task<RequestRecord?> GetAsync(string requestId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            RequestRecord record;
            long deploymentId;
            int attemptStatus, attemptErrorId, attemptUs, attemptCount, flags;
            (int Key, int Route, int Deployment, int Decision, int Error, int Finish, int Model, int Fingerprint, int EndUser) names;
            List<int> nameIds;
            var cmd = Sql.Command(connection, null, "SELECT " + string.Join(", ", RecordColumns.Records) + " FROM records WHERE request_id = @id ORDER BY time_ms DESC LIMIT 1", ("@id", requestId));
            await using (cmd.ConfigureAwait(false))
            {
                var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        return null;
                    }

                    var ids = new List<int>();
                    for (var i = 0; i < RecordColumns.Records.Length; i++)
                    {
                        if (RecordColumns.Records[i].EndsWith("_id", StringComparison.Ordinal) && RecordColumns.Records[i] != "request_id")
                        {
                            ids.Add(Convert.ToInt32(reader.GetValue(i), CultureInfo.InvariantCulture));
                        }
                    }

                    long L(string name) => Convert.ToInt64(reader.GetValue(Array.IndexOf(RecordColumns.Records, name)), CultureInfo.InvariantCulture);
                    int I(string name) => (int)L(name);
                    var ttftOrdinal = Array.IndexOf(RecordColumns.Records, "ttft_us");
                    var tagsOrdinal = Array.IndexOf(RecordColumns.Records, "tags");
                    flags = I("flags");
                    deploymentId = L("deployment_id");
                    attemptStatus = I("attempt_status");
                    attemptErrorId = I("attempt_error_id");
                    attemptUs = I("attempt_us");
                    attemptCount = I("attempt_count");
                    record = new RequestRecord
                    {
                        Time = DateTimeOffset.FromUnixTimeMilliseconds(L("time_ms")),
                        Id = reader.GetString(1),
                        Operation = RecordColumns.Operation(L("operation")),
                        Stream = (flags & (int)RecordFlags.Stream) != 0,
                        TokensEstimated = (flags & (int)RecordFlags.TokensEstimated) != 0,
                        Status = I("status"),
                        OverheadMs = I("overhead_us") / 1000.0,
                        UpstreamMs = I("upstream_us") / 1000.0,
                        TtftMs = reader.IsDBNull(ttftOrdinal) ? null : Convert.ToInt32(reader.GetValue(ttftOrdinal), CultureInfo.InvariantCulture) / 1000.0,
                        TotalMs = I("total_us") / 1000.0,
                        PromptTokens = I("prompt_tokens"),
                        CachedTokens = I("cached_tokens"),
                        CompletionTokens = I("completion_tokens"),
                        ReasoningTokens = I("reasoning_tokens"),
                        Cost = RecordColumns.Dollars(L("cost_nanos")),
                        Tags = reader.IsDBNull(tagsOrdinal) ? null : System.Text.Json.JsonSerializer.Deserialize(reader.GetString(tagsOrdinal), StorageJsonContext.Default.DictionaryStringString),
                    };
                    names = (I("key_id"), I("route_id"), I("deployment_id"), I("decision_id"), I("error_id"), I("finish_id"), I("model_id"), I("fingerprint_id"), I("end_user_id"));
                    nameIds = ids;
                }
            }

            // After the reader is closed: PostgreSQL runs one command at a time per connection, and a gateway that
            // did not write the record (restarted, or another instance) has none of its names cached.
            await LoadNamesAsync(connection, nameIds, cancellationToken).ConfigureAwait(false);
            record.Key = Name(names.Key) ?? "";
            record.Route = Name(names.Route);
            record.Deployment = Name(names.Deployment);
            record.Decision = Name(names.Decision) ?? "";
            record.Error = Name(names.Error);
            record.FinishReason = Name(names.Finish);
            record.UpstreamModel = Name(names.Model);
            record.SystemFingerprint = Name(names.Fingerprint);
            record.EndUser = Name(names.EndUser);

            if ((flags & (int)RecordFlags.HasAttempts) != 0)
            {
                var rows = await Sql.QueryAsync(connection, "SELECT deployment_id, status, error_id, latency_us FROM attempts WHERE request_id = @id AND time_ms = @t ORDER BY seq", cancellationToken,
                    r => (D: Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture), S: Convert.ToInt32(r.GetValue(1), CultureInfo.InvariantCulture),
                        E: Convert.ToInt32(r.GetValue(2), CultureInfo.InvariantCulture), L: Convert.ToInt32(r.GetValue(3), CultureInfo.InvariantCulture)),
                    ("@id", requestId), ("@t", record.Time.ToUnixTimeMilliseconds())).ConfigureAwait(false);
                await LoadNamesAsync(connection, rows.SelectMany(r => new[] { r.D, r.E }), cancellationToken).ConfigureAwait(false);
                foreach (var a in rows)
                {
                    record.Attempts.Add(new AttemptRecord(Name(a.D) ?? "", a.S, Name(a.E), a.L / 1000.0));
                }
            }
            else if (attemptCount == 1)
            {
                await LoadNamesAsync(connection, [attemptErrorId], cancellationToken).ConfigureAwait(false);
                record.Attempts.Add(new AttemptRecord(Name((int)deploymentId) ?? "", attemptStatus, Name(attemptErrorId), attemptUs / 1000.0));
            }

            if ((flags & (int)RecordFlags.HasContent) != 0)
            {
                var rows = await Sql.QueryAsync(connection, "SELECT prompt, response, key_id FROM contents WHERE request_id = @id AND time_ms = @t", cancellationToken,
                    r => (P: r.IsDBNull(0) ? null : r.GetString(0), R: r.IsDBNull(1) ? null : r.GetString(1), K: r.IsDBNull(2) ? null : r.GetString(2)),
                    ("@id", requestId), ("@t", record.Time.ToUnixTimeMilliseconds())).ConfigureAwait(false);
                if (rows.Count > 0)
                {
                    record.PromptContent = Tandem.Privacy.ContentCipher.Decrypt(_db.Cipher, rows[0].P, rows[0].K, "prompt");
                    record.ResponseContent = Tandem.Privacy.ContentCipher.Decrypt(_db.Cipher, rows[0].R, rows[0].K, "response");
                }
            }

            return record;
        }
    }

    public async Task<UsageQueryResult> QueryUsageAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var fromMs = from.ToUnixTimeMilliseconds();
            var toMs = to.ToUnixTimeMilliseconds();
            // Raw records are kept from the retention cut-off of the last maintenance pass (all days when it never ran);
            // before it only roll-ups (whole days) remain. Kept in meta rather than read as MIN(time_ms): PostgreSQL's
            // BRIN index cannot answer MIN without a scan.
            var rawSince = await Sql.ScalarAsync(connection, null, "SELECT value FROM meta WHERE name = 'raw_since_day'", cancellationToken).ConfigureAwait(false);
            var rolledThrough = await Sql.ScalarAsync(connection, null, "SELECT value FROM meta WHERE name = 'last_rollup_day'", cancellationToken).ConfigureAwait(false);
            var plan = UsagePlan.For(fromMs, toMs,
                rawSince is string text ? long.Parse(text, CultureInfo.InvariantCulture) : null,
                rolledThrough is string rolledText ? long.Parse(rolledText, CultureInfo.InvariantCulture) : null);
            var rows = new List<(int Day, int Route, int Deployment, int Key, UsageRow Usage)>();
            DateTimeOffset? firstSeen = null;
            long? firstRolledDay = null;

            foreach (var (a, b) in plan.Raw)
            {
                var raw = await Sql.QueryAsync(connection,
                    "SELECT time_ms / " + RecordColumns.DayMs.ToString(CultureInfo.InvariantCulture) + " AS day, route_id, deployment_id, key_id, COUNT(*), " +
                    "SUM(CASE WHEN error_id <> 0 THEN 1 ELSE 0 END), SUM(CASE WHEN (flags & 2) <> 0 THEN 1 ELSE 0 END), " +
                    "SUM(prompt_tokens), SUM(cached_tokens), SUM(completion_tokens), SUM(reasoning_tokens), SUM(cost_nanos), MIN(time_ms) " +
                    "FROM records WHERE time_ms >= @a AND time_ms < @b GROUP BY time_ms / " + RecordColumns.DayMs.ToString(CultureInfo.InvariantCulture) + ", route_id, deployment_id, key_id",
                    cancellationToken, ReadUsage, ("@a", a), ("@b", b)).ConfigureAwait(false);
                foreach (var r in raw)
                {
                    rows.Add((r.Day, r.Route, r.Deployment, r.Key, r.Usage));
                    var seen = DateTimeOffset.FromUnixTimeMilliseconds(r.First);
                    firstSeen = firstSeen is null || seen < firstSeen ? seen : firstSeen;
                }
            }

            foreach (var (a, b, rawKept) in plan.Rolled)
            {
                var rolled = await Sql.QueryAsync(connection,
                    "SELECT day, route_id, deployment_id, key_id, requests, errors, estimated, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, cost_nanos, " +
                    "CAST(day AS BIGINT) * " + RecordColumns.DayMs.ToString(CultureInfo.InvariantCulture) + " FROM rollups WHERE day >= @a AND day <= @b",
                    cancellationToken, ReadUsage, ("@a", a), ("@b", b)).ConfigureAwait(false);
                foreach (var r in rolled)
                {
                    rows.Add((r.Day, r.Route, r.Deployment, r.Key, r.Usage));
                    var seen = DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(r.First, fromMs));
                    if (firstSeen is null || seen < firstSeen)
                    {
                        firstSeen = seen;
                        firstRolledDay = rawKept ? r.Day : null;
                    }
                }
            }

            // A roll-up day whose raw records are still kept: the first record's own time, one day's range on the index.
            if (firstRolledDay is { } day && firstSeen == DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(day * RecordColumns.DayMs, fromMs))
                && await Sql.ScalarAsync(connection, null, "SELECT MIN(time_ms) FROM records WHERE time_ms >= @a AND time_ms < @b", cancellationToken,
                    ("@a", day * RecordColumns.DayMs), ("@b", (day + 1) * RecordColumns.DayMs)).ConfigureAwait(false) is { } min and not DBNull)
            {
                firstSeen = DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(min, CultureInfo.InvariantCulture));
            }

            await LoadNamesAsync(connection, rows.SelectMany(r => new[] { r.Route, r.Deployment, r.Key }), cancellationToken).ConfigureAwait(false);
            var usage = rows.Select(r => r.Usage with
            {
                Day = DateOnly.FromDayNumber(r.Day + DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber),
                Route = Name(r.Route),
                Deployment = Name(r.Deployment) ?? "",
                Key = Name(r.Key) ?? "",
            }).ToList();
            return new UsageQueryResult(usage, firstSeen);
        }
    }

    private static (int Day, int Route, int Deployment, int Key, UsageRow Usage, long First) ReadUsage(DbDataReader r)
    {
        long L(int i) => r.IsDBNull(i) ? 0 : Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);
        return ((int)L(0), (int)L(1), (int)L(2), (int)L(3), new UsageRow
        {
            Requests = L(4),
            Errors = L(5),
            EstimatedRequests = L(6),
            PromptTokens = L(7),
            CachedTokens = L(8),
            CompletionTokens = L(9),
            ReasoningTokens = L(10),
            Cost = RecordColumns.Dollars(L(11)),
        }, L(12));
    }

    public async Task<IReadOnlyList<RollupRow>> ReadRollupsAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var rows = await Sql.QueryAsync(connection,
                "SELECT day, route_id, deployment_id, key_id, requests, errors, estimated, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, cost_nanos, p50_us, p95_us, p99_us " +
                "FROM rollups WHERE day >= @a AND day <= @b ORDER BY day, route_id, deployment_id, key_id",
                cancellationToken, r => (U: ReadUsage(r), P50: Convert.ToInt64(r.GetValue(12), CultureInfo.InvariantCulture), P95: Convert.ToInt64(r.GetValue(13), CultureInfo.InvariantCulture), P99: Convert.ToInt64(r.GetValue(14), CultureInfo.InvariantCulture)),
                ("@a", RecordColumns.DayNumber(from)), ("@b", RecordColumns.DayNumber(to))).ConfigureAwait(false);
            await LoadNamesAsync(connection, rows.SelectMany(r => new[] { r.U.Route, r.U.Deployment, r.U.Key }), cancellationToken).ConfigureAwait(false);
            return rows.Select(r =>
            {
                var day = DateOnly.FromDayNumber(r.U.Day + DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber);
                return new RollupRow
                {
                    Day = day,
                    Route = Name(r.U.Route),
                    Deployment = Name(r.U.Deployment),
                    Key = Name(r.U.Key) ?? "",
                    Usage = r.U.Usage with { Day = day, Route = Name(r.U.Route), Deployment = Name(r.U.Deployment) ?? "", Key = Name(r.U.Key) ?? "" },
                    P50Ms = r.P50 / 1000.0,
                    P95Ms = r.P95 / 1000.0,
                    P99Ms = r.P99 / 1000.0,
                };
            }).ToList();
        }
    }

    /// <summary>The value of a records column for one record, in <see cref="RecordColumns.Records"/> order.</summary>
    internal static RowValue RecordValue(RequestRecord r, int column, Func<DictionaryKind, string?, int> id)
    {
        var last = r.Attempts.Count > 0 ? r.Attempts[^1] : default;
        return column switch
        {
            0 => r.Time.ToUnixTimeMilliseconds(),
            1 => r.Id,
            2 => RecordColumns.Operation(r.Operation),
            3 => id(DictionaryKind.Key, r.Key),
            4 => id(DictionaryKind.Route, r.Route),
            5 => id(DictionaryKind.Deployment, r.Deployment),
            6 => id(DictionaryKind.Decision, r.Decision),
            7 => (int)RecordColumns.FlagsOf(r),
            8 => (short)r.Status,
            9 => id(DictionaryKind.Error, r.Error),
            10 => (short)Math.Min(r.Attempts.Count, short.MaxValue),
            11 => (short)last.Status,
            12 => id(DictionaryKind.Error, last.Error),
            13 => RecordColumns.Micros(last.LatencyMs),
            14 => RecordColumns.Micros(r.OverheadMs),
            15 => RecordColumns.Micros(r.UpstreamMs),
            16 => r.TtftMs is double t ? RecordColumns.Micros(t) : RowValue.Null,
            17 => RecordColumns.Micros(r.TotalMs),
            18 => r.PromptTokens,
            19 => r.CachedTokens,
            20 => r.CompletionTokens,
            21 => r.ReasoningTokens,
            22 => RecordColumns.Nanos(r.Cost),
            23 => id(DictionaryKind.FinishReason, r.FinishReason),
            24 => id(DictionaryKind.Model, r.UpstreamModel),
            25 => id(DictionaryKind.Fingerprint, r.SystemFingerprint),
            26 => id(DictionaryKind.EndUser, r.EndUser),
            _ => r.Tags is { Count: > 0 } tags ? System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>(tags), StorageJsonContext.Default.DictionaryStringString) : RowValue.Null,
        };
    }
}
