using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Tandem.Adapters;
using Tandem.Configuration;
using Tandem.Feedback;
using Tandem.Migration;
using Tandem.Records;

namespace Tandem.Storage;

/// <summary>
/// The one database of a gateway: one connection pool, one set of connection settings and one versioned schema
/// (<c>Sqlite/Migrations/*.sql</c> or <c>PostgreSql/Migrations/*.sql</c>, recorded in <c>schema_migrations</c>),
/// shared by the <see cref="Records"/> store and the <see cref="Migrations"/> store. Open one with
/// <see cref="StorageFactory"/>. Disposing the database, or either store, closes the pool.
/// </summary>
public abstract partial class StorageDatabase : IAsyncDisposable
{
    private const int MaxParameters = 30_000;
    private readonly ConcurrentDictionary<(string Table, int Rows), string> _insertSql = new();
    private int _disposed;

    private protected StorageDatabase(StorageConfig options, TimeProvider? time, Tandem.Privacy.ContentCipher? cipher)
    {
        Options = options;
        Time = time ?? TimeProvider.System;
        Cipher = cipher;
        var records = new SqlRecordStore(this);
        Records = records;
        Search = records;
        Migrations = new SqlMigrationStore(this);
        Quality = new SqlQualitySearch(this);
        var feedback = new SqlFeedbackStore(this);
        Feedback = feedback;
        Adapters = feedback;
        var access = new SqlAccessStore(this);
        Keys = access;
        Signals = access;
        Audit = access;
        Labels = new SqlLabelStore(this);
    }

    /// <summary><c>sqlite</c> or <c>postgres</c> (<see cref="StorageEngines"/>).</summary>
    public abstract string Engine { get; }

    /// <summary>Where the data is, for logs and messages, without credentials (a file path, or the PostgreSQL host and schema).</summary>
    public abstract string Where { get; }

    /// <summary>Request records, roll-ups and retention.</summary>
    public IRecordStore Records { get; }

    /// <summary>Paged, filtered listing of request records (the dashboard's request log).</summary>
    public IRecordSearch Search { get; }

    /// <summary>Migration state, stage changes, gate evaluations and shadow samples.</summary>
    public IMigrationStore Migrations { get; }

    /// <summary>Versioned human labels of a route's requests, and the captured requests they are drawn from.</summary>
    public Classification.ILabelStore Labels { get; }
    /// <summary>Shadow agreement and judge scores of a route's migration per day (the dashboard's quality page).</summary>
    public IQualitySearch Quality { get; }

    /// <summary>Feedback on requests (ratings, corrections), kept apart from the records it refers to.</summary>
    public IFeedbackStore Feedback { get; }

    /// <summary>LoRA adapters registered as deployments.</summary>
    public IAdapterStore Adapters { get; }

    /// <summary>Virtual keys (hashed), made through the admin API.</summary>
    public Access.IKeyStore Keys { get; }

    /// <summary>Change counters that tell every instance on this database to re-read keys or configuration.</summary>
    public Access.IChangeSignals Signals { get; }

    /// <summary>The append-only audit log of admin actions and key lifecycle.</summary>
    public Access.IAuditLog Audit { get; }

    internal StorageConfig Options { get; }

    internal TimeProvider Time { get; }

    /// <summary>Encryption of captured content at rest (<c>privacy.encryption</c>); null writes clear text.</summary>
    internal Tandem.Privacy.ContentCipher? Cipher { get; }

    /// <summary>Prefix of this dialect's embedded migration scripts (<c>Tandem.Storage.Sqlite.</c>).</summary>
    private protected abstract string MigrationPrefix { get; }

    /// <summary>
    /// Rows per multi-row INSERT. SQLite binds parameters by a linear name search, so its statements stay small and
    /// are reused (prepared once per batch) rather than grown to the parameter limit.
    /// </summary>
    private protected virtual int MaxRowsPerInsert => 500;

    /// <summary>Opens a pooled connection with this database's settings applied.</summary>
    internal abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Prepares the database before migrations (SQLite: WAL; PostgreSQL: creates the schema).</summary>
    private protected virtual Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Takes the migration lock within <paramref name="tx"/> (PostgreSQL: an advisory lock; SQLite: the write lock).</summary>
    private protected abstract Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken cancellationToken);

    /// <summary>Takes the maintenance lock for this connection's session, or returns false when another instance holds it.</summary>
    internal virtual Task<bool> TryLockMaintenanceAsync(DbConnection connection, CancellationToken cancellationToken) => Task.FromResult(true);

    /// <summary>Releases the lock taken by <see cref="TryLockMaintenanceAsync"/>.</summary>
    internal virtual Task UnlockMaintenanceAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Bulk-inserts records (SQLite: multi-row INSERT; PostgreSQL: binary COPY).</summary>
    internal abstract Task InsertRecordsAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<RequestRecord> records, Func<DictionaryKind, string?, int> id, CancellationToken cancellationToken);

    /// <summary>Bytes used by Tandem's tables (see <see cref="IRecordStore.MeasureAsync"/>).</summary>
    internal abstract Task<StorageSize> MeasureAsync(CancellationToken cancellationToken);

    /// <summary>Returns the space of a table's deleted rows (SQLite <c>VACUUM</c> of the file, PostgreSQL <c>VACUUM FULL</c> of the table), for measurements.</summary>
    internal abstract Task CompactAsync(string table, CancellationToken cancellationToken);

    /// <summary>Applies pending schema migrations in one transaction under a lock (idempotent; safe when several instances start at once).</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await PrepareAsync(connection, cancellationToken).ConfigureAwait(false);
            var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                await LockForMigrationAsync(connection, tx, cancellationToken).ConfigureAwait(false);
                await Sql.ExecuteAsync(connection, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)", cancellationToken).ConfigureAwait(false);
                var current = Convert.ToInt32(await Sql.ScalarAsync(connection, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                foreach (var (version, sql) in MigrationScripts())
                {
                    if (version <= current)
                    {
                        continue;
                    }

                    await Sql.ExecuteAsync(connection, tx, sql, cancellationToken).ConfigureAwait(false);
                    await Sql.ExecuteAsync(connection, tx, "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (@v, @t)", cancellationToken,
                        ("@v", version), ("@t", Time.GetUtcNow().ToUnixTimeMilliseconds())).ConfigureAwait(false);
                }

                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Whether the database answers and its schema is in place.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await Sql.ScalarAsync(connection, null, "SELECT COUNT(*) FROM schema_migrations", cancellationToken).ConfigureAwait(false) is not null;
            }
        }
        catch (Exception e) when (StorageErrors.IsUnavailable(e) || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>The applied schema versions, ascending.</summary>
    public async Task<IReadOnlyList<int>> SchemaVersionsAsync(CancellationToken cancellationToken = default)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await Sql.QueryAsync(connection, "SELECT version FROM schema_migrations ORDER BY version", cancellationToken,
                r => Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture)).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes every <c>batches</c> row, as maintenance does for rows older than 7 days (measurements).</summary>
    internal async Task ExpireBatchesAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await Sql.ExecuteAsync(connection, null, "DELETE FROM batches", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Rows in one of Tandem's tables (tests, diagnostics).</summary>
    internal async Task<long> CountRowsAsync(string table, CancellationToken cancellationToken = default)
    {
        if (table is not ("records" or "attempts" or "contents" or "dictionary" or "rollups" or "batches" or "schema_migrations"
            or "tandem_migration_state" or "tandem_migration_event" or "tandem_migration_evaluation" or "tandem_shadow_sample" or "tandem_feedback" or "tandem_adapter"
            or "tandem_key" or "tandem_audit" or "tandem_signal"))
        {
            throw new ArgumentException("unknown table", nameof(table));
        }

        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return Convert.ToInt64(await Sql.ScalarAsync(connection, null, "SELECT COUNT(*) FROM " + table, cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The embedded migration scripts of this dialect, by version (<c>001_initial.sql</c> is version 1).</summary>
    internal IReadOnlyList<(int Version, string Sql)> MigrationScripts()
    {
        var assembly = typeof(StorageDatabase).Assembly;
        var list = new List<(int, string)>();
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(MigrationPrefix, StringComparison.Ordinal) || !name.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var file = name[MigrationPrefix.Length..];
            var version = int.Parse(file[..file.IndexOf('_', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            list.Add((version, reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    /// <summary>Multi-row INSERT in chunks; one prepared command serves every full chunk.</summary>
    internal virtual async Task InsertRowsAsync(DbConnection connection, DbTransaction? tx, string table, string[] columns, int count, Func<int, int, object?> value, CancellationToken cancellationToken)
    {
        var perChunk = Math.Max(1, Math.Min(MaxRowsPerInsert, MaxParameters / columns.Length));
        DbCommand? full = null;
        try
        {
            for (var start = 0; start < count; start += perChunk)
            {
                var rows = Math.Min(perChunk, count - start);
                DbCommand cmd;
                if (rows == perChunk)
                {
                    full ??= CreateInsert(connection, tx, table, columns, rows);
                    cmd = full;
                }
                else
                {
                    cmd = CreateInsert(connection, tx, table, columns, rows);
                }

                try
                {
                    for (var r = 0; r < rows; r++)
                    {
                        for (var c = 0; c < columns.Length; c++)
                        {
                            cmd.Parameters[(r * columns.Length) + c].Value = value(start + r, c) ?? DBNull.Value;
                        }
                    }

                    await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    if (!ReferenceEquals(cmd, full))
                    {
                        await cmd.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
        }
        finally
        {
            if (full is not null)
            {
                await full.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private DbCommand CreateInsert(DbConnection connection, DbTransaction? tx, string table, string[] columns, int rows)
    {
        var sql = _insertSql.GetOrAdd((table, rows), static (k, cols) =>
        {
            var sb = new StringBuilder("INSERT INTO ").Append(k.Table).Append(" (").AppendJoin(", ", cols).Append(") VALUES ");
            for (var r = 0; r < k.Rows; r++)
            {
                sb.Append(r == 0 ? "(" : ", (");
                for (var c = 0; c < cols.Length; c++)
                {
                    sb.Append(c == 0 ? "" : ", ").Append("@p").Append((r * cols.Length) + c);
                }

                sb.Append(')');
            }

            return sb.ToString();
        }, columns);
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        for (var i = 0; i < rows * columns.Length; i++)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@p" + i.ToString(CultureInfo.InvariantCulture);
            cmd.Parameters.Add(p);
        }

        return cmd;
    }

    /// <summary>Closes the pool (idempotent: the container disposes the database and both stores).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await DisposeCoreAsync().ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the dialect's pool.</summary>
    private protected abstract ValueTask DisposeCoreAsync();
}
