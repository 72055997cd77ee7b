using System.Data.Common;
using System.Globalization;
using Tandem.Migration;

namespace Tandem.Storage;

/// <summary>
/// <see cref="IMigrationStore"/> in a <see cref="StorageDatabase"/> (tables of <c>002_migrations.sql</c>): one row of
/// state per route updated by compare-and-swap on its version (so several gateway instances on one PostgreSQL move a
/// migration exactly once), append-only stage changes, gate evaluations kept as runs of one outcome, and shadow
/// samples. Times are Unix microseconds, as these tables have always had them.
/// </summary>
internal sealed class SqlMigrationStore : IMigrationStore, IAsyncDisposable
{
    private const string SampleColumns = "route, request_id, time, stage, served_by, incumbent_answer, candidate_answer, incumbent_label, candidate_label, " +
        "agree, similarity, candidate_error, incumbent_error, incumbent_latency_ms, candidate_latency_ms, candidate_cost, judge_score, key_id";

    private readonly StorageDatabase _db;

    public SqlMigrationStore(StorageDatabase database)
    {
        _db = database;
    }

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    /// <summary>Deletes shadow samples and evaluation runs last evaluated before <paramref name="cutoffMs"/> (maintenance).</summary>
    internal static async Task<(long Samples, long Evaluations)> DeleteBeforeAsync(DbConnection connection, DbTransaction? tx, long cutoffMs, CancellationToken cancellationToken)
    {
        var cutoffUs = cutoffMs * 1000;
        var samples = await Sql.ExecuteAsync(connection, tx, "DELETE FROM tandem_shadow_sample WHERE time < @c", cancellationToken, ("@c", cutoffUs)).ConfigureAwait(false);
        var evaluations = await Sql.ExecuteAsync(connection, tx, "DELETE FROM tandem_migration_evaluation WHERE time < @c", cancellationToken, ("@c", cutoffUs)).ConfigureAwait(false);
        return (samples, evaluations);
    }

    private static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static DateTimeOffset FromMicros(long us) => DateTimeOffset.UnixEpoch.AddTicks(us * 10);

    private static long L(DbDataReader r, int i) => Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);

    private static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static double? Dbl(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);

    private async Task<T> WithConnectionAsync<T>(Func<DbConnection, Task<T>> action, CancellationToken cancellationToken)
    {
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await action(connection).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MigrationState>> ListAsync(CancellationToken cancellationToken = default) =>
        WithConnectionAsync<IReadOnlyList<MigrationState>>(async c => await Sql.QueryAsync(c,
            "SELECT route, incumbent, candidate, stage, canary_step, started_at, stage_entered_at, pinned, version FROM tandem_migration_state ORDER BY route",
            cancellationToken, r => new MigrationState
            {
                Route = r.GetString(0),
                Incumbent = r.GetString(1),
                Candidate = r.GetString(2),
                Stage = Enum.Parse<MigrationStage>(r.GetString(3)),
                CanaryStep = (int)L(r, 4),
                StartedAt = FromMicros(L(r, 5)),
                StageEnteredAt = FromMicros(L(r, 6)),
                Pinned = L(r, 7) != 0,
                Version = L(r, 8),
            }).ConfigureAwait(false), cancellationToken);

    /// <inheritdoc />
    public async Task<(MigrationState State, bool Created)> CreateIfAbsentAsync(MigrationState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var inserted = await WithConnectionAsync(c => Sql.ExecuteAsync(c, null,
            "INSERT INTO tandem_migration_state (route, incumbent, candidate, stage, canary_step, started_at, stage_entered_at, pinned, version) " +
            "VALUES (@route, @incumbent, @candidate, @stage, @step, @started, @entered, @pinned, @version) ON CONFLICT (route) DO NOTHING",
            cancellationToken, Parameters(state)), cancellationToken).ConfigureAwait(false);
        var all = await ListAsync(cancellationToken).ConfigureAwait(false);
        return (all.Single(s => s.Route == state.Route), inserted == 1);
    }

    /// <inheritdoc />
    public async Task<bool> TryUpdateAsync(MigrationState state, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var updated = await WithConnectionAsync(c => Sql.ExecuteAsync(c, null,
            "UPDATE tandem_migration_state SET incumbent = @incumbent, candidate = @candidate, stage = @stage, canary_step = @step, " +
            "started_at = @started, stage_entered_at = @entered, pinned = @pinned, version = @version WHERE route = @route AND version = @expected",
            cancellationToken, [.. Parameters(state), ("@expected", expectedVersion)]), cancellationToken).ConfigureAwait(false);
        return updated == 1;
    }

    private static (string, object?)[] Parameters(MigrationState s) =>
    [
        ("@route", s.Route), ("@incumbent", s.Incumbent), ("@candidate", s.Candidate), ("@stage", s.Stage.ToString()),
        ("@step", s.CanaryStep), ("@started", Micros(s.StartedAt)), ("@entered", Micros(s.StageEnteredAt)),
        ("@pinned", s.Pinned ? 1 : 0), ("@version", s.Version),
    ];

    /// <inheritdoc />
    public Task AppendEventAsync(MigrationEvent migrationEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(migrationEvent);
        return WithConnectionAsync(c => Sql.ExecuteAsync(c, null,
            "INSERT INTO tandem_migration_event (route, time, kind, from_stage, to_stage, trigger_kind, evidence) VALUES (@route, @time, @kind, @from, @to, @trigger, @evidence)",
            cancellationToken, ("@route", migrationEvent.Route), ("@time", Micros(migrationEvent.Time)), ("@kind", migrationEvent.Kind), ("@from", migrationEvent.From),
            ("@to", migrationEvent.To), ("@trigger", migrationEvent.Trigger), ("@evidence", migrationEvent.Evidence)), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MigrationEvent>> EventsAsync(string route, int limit, long? before = null, CancellationToken cancellationToken = default) =>
        WithConnectionAsync<IReadOnlyList<MigrationEvent>>(async c => await Sql.QueryAsync(c,
            "SELECT id, route, time, kind, from_stage, to_stage, trigger_kind, evidence FROM tandem_migration_event " +
            "WHERE route = @route AND id < @before ORDER BY id DESC LIMIT @limit",
            cancellationToken, r => new MigrationEvent
            {
                Id = L(r, 0),
                Route = r.GetString(1),
                Time = FromMicros(L(r, 2)),
                Kind = r.GetString(3),
                From = Str(r, 4),
                To = Str(r, 5),
                Trigger = r.GetString(6),
                Evidence = r.GetString(7),
            }, ("@route", route), ("@before", before ?? long.MaxValue), ("@limit", Math.Max(0, limit))).ConfigureAwait(false), cancellationToken);

    /// <inheritdoc />
    public async Task RecordEvaluationAsync(MigrationEvaluation evaluation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // SQLite transactions take the write lock at BEGIN; on PostgreSQL two instances evaluating at the same
            // moment may both start a run, which costs one row and loses nothing.
            var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                var latest = await Sql.QueryAsync(connection, tx,
                    "SELECT id, stage, outcome FROM tandem_migration_evaluation WHERE route = @route ORDER BY id DESC LIMIT 1", cancellationToken,
                    r => (Id: L(r, 0), Stage: r.GetString(1), Outcome: r.GetString(2)), ("@route", evaluation.Route)).ConfigureAwait(false);
                var time = Micros(evaluation.Time);
                if (latest is [var run] && run.Stage == evaluation.Stage && run.Outcome == evaluation.Outcome)
                {
                    await Sql.ExecuteAsync(connection, tx,
                        "UPDATE tandem_migration_evaluation SET time = @time, count = count + 1, evidence = @evidence WHERE id = @id", cancellationToken,
                        ("@time", time), ("@evidence", evaluation.Evidence), ("@id", run.Id)).ConfigureAwait(false);
                }
                else
                {
                    await Sql.ExecuteAsync(connection, tx,
                        "INSERT INTO tandem_migration_evaluation (route, first_time, time, stage, outcome, count, evidence) VALUES (@route, @time, @time, @stage, @outcome, 1, @evidence)",
                        cancellationToken, ("@route", evaluation.Route), ("@time", time), ("@stage", evaluation.Stage), ("@outcome", evaluation.Outcome),
                        ("@evidence", evaluation.Evidence)).ConfigureAwait(false);
                }

                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MigrationEvaluation>> EvaluationsAsync(string route, int limit, CancellationToken cancellationToken = default) =>
        WithConnectionAsync<IReadOnlyList<MigrationEvaluation>>(async c => await Sql.QueryAsync(c,
            "SELECT id, route, first_time, time, count, stage, outcome, evidence FROM tandem_migration_evaluation WHERE route = @route ORDER BY id DESC LIMIT @limit",
            cancellationToken, r => new MigrationEvaluation
            {
                Id = L(r, 0),
                Route = r.GetString(1),
                FirstTime = FromMicros(L(r, 2)),
                Time = FromMicros(L(r, 3)),
                Count = (int)L(r, 4),
                Stage = r.GetString(5),
                Outcome = r.GetString(6),
                Evidence = r.GetString(7),
            }, ("@route", route), ("@limit", Math.Max(0, limit))).ConfigureAwait(false), cancellationToken);

    /// <inheritdoc />
    public async Task AddSamplesAsync(IReadOnlyList<ShadowSample> samples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
        {
            return;
        }

        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                // The two answers are content (encrypted when privacy.encryption is set); labels, scores and errors are metadata.
                var cipher = _db.Cipher;
                await _db.InsertRowsAsync(connection, tx, "tandem_shadow_sample", SampleColumns.Split(", "), samples.Count, (row, column) =>
                {
                    var s = samples[row];
                    return column switch
                    {
                        0 => s.Route,
                        1 => s.RequestId,
                        2 => Micros(s.Time),
                        3 => s.Stage,
                        4 => s.ServedBy,
                        5 => cipher is null ? s.IncumbentAnswer : cipher.Encrypt(s.IncumbentAnswer, "incumbent_answer"),
                        6 => cipher is null ? s.CandidateAnswer : cipher.Encrypt(s.CandidateAnswer, "candidate_answer"),
                        7 => s.IncumbentLabel,
                        8 => s.CandidateLabel,
                        9 => s.Agree is bool a ? (a ? 1 : 0) : null,
                        10 => s.Similarity,
                        11 => s.CandidateError,
                        12 => s.IncumbentError,
                        13 => s.IncumbentLatencyMs,
                        14 => s.CandidateLatencyMs,
                        15 => s.CandidateCost,
                        16 => s.JudgeScore,
                        _ => cipher?.ActiveKeyId,
                    };
                }, cancellationToken).ConfigureAwait(false);
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ShadowSample>> SamplesAsync(string route, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        WithConnectionAsync<IReadOnlyList<ShadowSample>>(async c => await Sql.QueryAsync(c,
            "SELECT " + SampleColumns + " FROM tandem_shadow_sample WHERE route = @route AND time >= @since ORDER BY id",
            cancellationToken, r => new ShadowSample
            {
                Route = r.GetString(0),
                RequestId = r.GetString(1),
                Time = FromMicros(L(r, 2)),
                Stage = r.GetString(3),
                ServedBy = r.GetString(4),
                IncumbentAnswer = Tandem.Privacy.ContentCipher.Decrypt(_db.Cipher, Str(r, 5), Str(r, 17), "incumbent_answer"),
                CandidateAnswer = Tandem.Privacy.ContentCipher.Decrypt(_db.Cipher, Str(r, 6), Str(r, 17), "candidate_answer"),
                IncumbentLabel = Str(r, 7),
                CandidateLabel = Str(r, 8),
                Agree = r.IsDBNull(9) ? null : L(r, 9) != 0,
                Similarity = Dbl(r, 10),
                CandidateError = Str(r, 11),
                IncumbentError = Str(r, 12),
                IncumbentLatencyMs = Dbl(r, 13),
                CandidateLatencyMs = Dbl(r, 14),
                CandidateCost = Dbl(r, 15),
                JudgeScore = Dbl(r, 16),
            }, ("@route", route), ("@since", Micros(since))).ConfigureAwait(false), cancellationToken);
}
