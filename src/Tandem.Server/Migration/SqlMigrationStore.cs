using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Tandem.Migration;

namespace Tandem.Server.Migration;

/// <summary>
/// <see cref="IMigrationStore"/> on SQLite or PostgreSQL: one row of state per route updated by compare-and-swap on
/// its version (so several gateway instances on one PostgreSQL move a migration exactly once), plus append-only
/// events and shadow samples. Tables are created when missing.
/// </summary>
public sealed class SqlMigrationStore : IMigrationStore, IAsyncDisposable
{
    private readonly Func<DbConnection> _connect;
    private readonly bool _postgres;
    private readonly NpgsqlDataSource? _dataSource;
    private readonly SemaphoreSlim _init = new(1, 1);
    private volatile bool _initialised;

    private SqlMigrationStore(Func<DbConnection> connect, bool postgres, NpgsqlDataSource? dataSource)
    {
        _connect = connect;
        _postgres = postgres;
        _dataSource = dataSource;
    }

    /// <summary>A store in a SQLite file (WAL).</summary>
    public static SqlMigrationStore Sqlite(string path)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
        return new SqlMigrationStore(() => new SqliteConnection(cs), postgres: false, null);
    }

    /// <summary>A store in PostgreSQL.</summary>
    public static SqlMigrationStore Postgres(string connectionString)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        return new SqlMigrationStore(dataSource.CreateConnection, postgres: true, dataSource);
    }

    private string Id => _postgres ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = _connect();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (!_initialised)
        {
            await InitialiseAsync(connection, cancellationToken).ConfigureAwait(false);
        }

        return connection;
    }

    private async Task InitialiseAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await _init.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialised)
            {
                return;
            }

            var sql = $"""
                {(_postgres ? "" : "PRAGMA journal_mode=WAL;")}
                CREATE TABLE IF NOT EXISTS tandem_migration_state (
                  route TEXT PRIMARY KEY, incumbent TEXT NOT NULL, candidate TEXT NOT NULL, stage TEXT NOT NULL,
                  canary_step INTEGER NOT NULL, started_at BIGINT NOT NULL, stage_entered_at BIGINT NOT NULL,
                  pinned INTEGER NOT NULL, version BIGINT NOT NULL);
                CREATE TABLE IF NOT EXISTS tandem_migration_event (
                  id {Id}, route TEXT NOT NULL, time BIGINT NOT NULL, kind TEXT NOT NULL,
                  from_stage TEXT, to_stage TEXT, trigger_kind TEXT NOT NULL, evidence TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS ix_tandem_migration_event_route ON tandem_migration_event (route, id);
                CREATE TABLE IF NOT EXISTS tandem_shadow_sample (
                  id {Id}, route TEXT NOT NULL, request_id TEXT NOT NULL, time BIGINT NOT NULL, stage TEXT NOT NULL,
                  served_by TEXT NOT NULL, incumbent_answer TEXT, candidate_answer TEXT, incumbent_label TEXT,
                  candidate_label TEXT, agree INTEGER, similarity DOUBLE PRECISION, candidate_error TEXT,
                  incumbent_error TEXT, incumbent_latency_ms DOUBLE PRECISION, candidate_latency_ms DOUBLE PRECISION,
                  candidate_cost DOUBLE PRECISION, judge_score DOUBLE PRECISION);
                CREATE INDEX IF NOT EXISTS ix_tandem_shadow_sample_route_time ON tandem_shadow_sample (route, time);
                """;
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            _initialised = true;
        }
        catch (DbException) when (_postgres)
        {
            // Two instances creating the tables at once: the loser sees a unique violation; the tables exist.
            _initialised = true;
        }
        finally
        {
            _init.Release();
        }
    }

    private static DbCommand Command(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            command.Parameters.Add(p);
        }

        return command;
    }

    private static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static DateTimeOffset FromMicros(long us) => DateTimeOffset.UnixEpoch.AddTicks(us * 10);

    /// <inheritdoc />
    public async Task<IReadOnlyList<MigrationState>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, "SELECT route, incumbent, candidate, stage, canary_step, started_at, stage_entered_at, pinned, version FROM tandem_migration_state");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<MigrationState>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new MigrationState
            {
                Route = reader.GetString(0),
                Incumbent = reader.GetString(1),
                Candidate = reader.GetString(2),
                Stage = Enum.Parse<MigrationStage>(reader.GetString(3)),
                CanaryStep = Convert.ToInt32(reader.GetValue(4), System.Globalization.CultureInfo.InvariantCulture),
                StartedAt = FromMicros(reader.GetInt64(5)),
                StageEnteredAt = FromMicros(reader.GetInt64(6)),
                Pinned = Convert.ToInt32(reader.GetValue(7), System.Globalization.CultureInfo.InvariantCulture) != 0,
                Version = reader.GetInt64(8),
            });
        }

        return list;
    }

    /// <inheritdoc />
    public async Task<(MigrationState State, bool Created)> CreateIfAbsentAsync(MigrationState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        int inserted;
        await using (var connection = await OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var command = Command(connection,
                "INSERT INTO tandem_migration_state (route, incumbent, candidate, stage, canary_step, started_at, stage_entered_at, pinned, version) " +
                "VALUES (@route, @incumbent, @candidate, @stage, @step, @started, @entered, @pinned, @version) ON CONFLICT (route) DO NOTHING",
                Parameters(state));
            inserted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var all = await ListAsync(cancellationToken).ConfigureAwait(false);
        return (all.Single(s => s.Route == state.Route), inserted == 1);
    }

    /// <inheritdoc />
    public async Task<bool> TryUpdateAsync(MigrationState state, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection,
            "UPDATE tandem_migration_state SET incumbent = @incumbent, candidate = @candidate, stage = @stage, canary_step = @step, " +
            "started_at = @started, stage_entered_at = @entered, pinned = @pinned, version = @version WHERE route = @route AND version = @expected",
            [.. Parameters(state), ("@expected", expectedVersion)]);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    private static (string, object?)[] Parameters(MigrationState s) =>
    [
        ("@route", s.Route), ("@incumbent", s.Incumbent), ("@candidate", s.Candidate), ("@stage", s.Stage.ToString()),
        ("@step", s.CanaryStep), ("@started", Micros(s.StartedAt)), ("@entered", Micros(s.StageEnteredAt)),
        ("@pinned", s.Pinned ? 1 : 0), ("@version", s.Version),
    ];

    /// <inheritdoc />
    public async Task AppendEventAsync(MigrationEvent migrationEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(migrationEvent);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection,
            "INSERT INTO tandem_migration_event (route, time, kind, from_stage, to_stage, trigger_kind, evidence) VALUES (@route, @time, @kind, @from, @to, @trigger, @evidence)",
            ("@route", migrationEvent.Route), ("@time", Micros(migrationEvent.Time)), ("@kind", migrationEvent.Kind), ("@from", migrationEvent.From),
            ("@to", migrationEvent.To), ("@trigger", migrationEvent.Trigger), ("@evidence", migrationEvent.Evidence));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<MigrationEvent>> EventsAsync(string route, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection,
            "SELECT route, time, kind, from_stage, to_stage, trigger_kind, evidence FROM tandem_migration_event WHERE route = @route ORDER BY id DESC LIMIT @limit",
            ("@route", route), ("@limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<MigrationEvent>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new MigrationEvent
            {
                Route = reader.GetString(0),
                Time = FromMicros(reader.GetInt64(1)),
                Kind = reader.GetString(2),
                From = reader.IsDBNull(3) ? null : reader.GetString(3),
                To = reader.IsDBNull(4) ? null : reader.GetString(4),
                Trigger = reader.GetString(5),
                Evidence = reader.GetString(6),
            });
        }

        return list;
    }

    /// <inheritdoc />
    public async Task AddSamplesAsync(IReadOnlyList<ShadowSample> samples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var s in samples)
        {
            await using var command = Command(connection,
                "INSERT INTO tandem_shadow_sample (route, request_id, time, stage, served_by, incumbent_answer, candidate_answer, incumbent_label, candidate_label, agree, similarity, candidate_error, incumbent_error, incumbent_latency_ms, candidate_latency_ms, candidate_cost, judge_score) " +
                "VALUES (@route, @rid, @time, @stage, @served, @ia, @ca, @il, @cl, @agree, @sim, @ce, @ie, @ilat, @clat, @cost, @judge)",
                ("@route", s.Route), ("@rid", s.RequestId), ("@time", Micros(s.Time)), ("@stage", s.Stage), ("@served", s.ServedBy),
                ("@ia", s.IncumbentAnswer), ("@ca", s.CandidateAnswer), ("@il", s.IncumbentLabel), ("@cl", s.CandidateLabel),
                ("@agree", s.Agree is bool a ? (a ? 1 : 0) : null), ("@sim", s.Similarity), ("@ce", s.CandidateError), ("@ie", s.IncumbentError),
                ("@ilat", s.IncumbentLatencyMs), ("@clat", s.CandidateLatencyMs), ("@cost", s.CandidateCost), ("@judge", s.JudgeScore));
            command.Transaction = tx;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ShadowSample>> SamplesAsync(string route, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection,
            "SELECT route, request_id, time, stage, served_by, incumbent_answer, candidate_answer, incumbent_label, candidate_label, agree, similarity, candidate_error, incumbent_error, incumbent_latency_ms, candidate_latency_ms, candidate_cost, judge_score " +
            "FROM tandem_shadow_sample WHERE route = @route AND time >= @since ORDER BY id",
            ("@route", route), ("@since", Micros(since)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<ShadowSample>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new ShadowSample
            {
                Route = reader.GetString(0),
                RequestId = reader.GetString(1),
                Time = FromMicros(reader.GetInt64(2)),
                Stage = reader.GetString(3),
                ServedBy = reader.GetString(4),
                IncumbentAnswer = Str(reader, 5),
                CandidateAnswer = Str(reader, 6),
                IncumbentLabel = Str(reader, 7),
                CandidateLabel = Str(reader, 8),
                Agree = reader.IsDBNull(9) ? null : Convert.ToInt32(reader.GetValue(9), System.Globalization.CultureInfo.InvariantCulture) != 0,
                Similarity = Dbl(reader, 10),
                CandidateError = Str(reader, 11),
                IncumbentError = Str(reader, 12),
                IncumbentLatencyMs = Dbl(reader, 13),
                CandidateLatencyMs = Dbl(reader, 14),
                CandidateCost = Dbl(reader, 15),
                JudgeScore = Dbl(reader, 16),
            });
        }

        return list;

        static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
        static double? Dbl(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }

        _init.Dispose();
    }
}
