using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Tandem.Configuration;
using Tandem.Records;

namespace Tandem.Storage.Sqlite;

/// <summary>One SQLite file, in WAL mode so that reads (reports, roll-ups, migration status) never block the writer.</summary>
internal sealed class SqliteDatabase : StorageDatabase
{
    private readonly string _connectionString;
    private readonly ConcurrentDictionary<string, (string[] Columns, string Sql)> _insertSql = new(StringComparer.Ordinal);

    public SqliteDatabase(string path, StorageConfig options, TimeProvider? time = null, Tandem.Privacy.ContentCipher? cipher = null)
        : base(options, time, cipher)
    {
        FilePath = Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public override string Engine => StorageEngines.Sqlite;

    public override string Where => FilePath;

    /// <summary>The database file.</summary>
    public string FilePath { get; }

    private protected override string MigrationPrefix => "Tandem.Storage.Sqlite.";


    internal override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(FilePath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // NORMAL is durable in WAL mode except for the last transactions on power loss; records tolerate that.
            // busy_timeout: the writer, the migration store and maintenance share the file; wait for its lock.
            await Sql.ExecuteAsync(connection, null, "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private protected override async Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await Sql.ScalarAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken).ConfigureAwait(false);
    }

    private protected override Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken cancellationToken) =>
        // Microsoft.Data.Sqlite begins transactions with BEGIN IMMEDIATE: the write lock is already held.
        Task.CompletedTask;

    internal override Task InsertRecordsAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<RequestRecord> records, Func<DictionaryKind, string?, int> id, CancellationToken cancellationToken)
    {
        SqliteRowInserter.Insert(connection, InsertSql("records", RecordColumns.Records), RecordColumns.Records.Length, records.Count,
            (row, column) => SqlRecordStore.RecordValue(records[row], column, id), cancellationToken);
        return Task.CompletedTask;
    }

    internal override Task InsertRowsAsync(DbConnection connection, DbTransaction? tx, string table, string[] columns, int count, Func<int, int, object?> value, CancellationToken cancellationToken)
    {
        SqliteRowInserter.Insert(connection, InsertSql(table, columns), columns.Length, count, value, cancellationToken);
        return Task.CompletedTask;
    }

    /// <summary>The single-row insert of <paramref name="table"/>, made once per table and column list.</summary>
    private string InsertSql(string table, string[] columns)
    {
        if (_insertSql.TryGetValue(table, out var cached) && cached.Columns.AsSpan().SequenceEqual(columns))
        {
            return cached.Sql;
        }

        var sql = SqliteRowInserter.SingleRowSql(table, columns);
        _insertSql[table] = ([.. columns], sql);
        return sql;
    }

    internal override async Task<StorageSize> MeasureAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await Sql.ExecuteAsync(connection, null, "PRAGMA wal_checkpoint(TRUNCATE)", cancellationToken).ConfigureAwait(false);
            try
            {
                var sizes = await Sql.QueryAsync(connection, "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name", cancellationToken,
                    r => (Name: r.GetString(0), Bytes: Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture))).ConfigureAwait(false);
                var recordBytes = sizes.Where(s => s.Name is "records" or "records_time" or "records_request" or "dictionary" || s.Name.StartsWith("sqlite_autoindex_dictionary", StringComparison.Ordinal)).Sum(s => s.Bytes);
                return new StorageSize(recordBytes, sizes.Sum(s => s.Bytes), "dbstat");
            }
            catch (SqliteException)
            {
                // SQLite built without the dbstat virtual table: fall back to the whole file's pages.
                var pages = Convert.ToInt64(await Sql.ScalarAsync(connection, null, "PRAGMA page_count", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                var pageSize = Convert.ToInt64(await Sql.ScalarAsync(connection, null, "PRAGMA page_size", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                return new StorageSize(pages * pageSize, pages * pageSize, "page_count");
            }
        }
    }

    internal override async Task CompactAsync(string table, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // VACUUM rebuilds the whole file; SQLite cannot compact one table.
            await Sql.ExecuteAsync(connection, null, "VACUUM", cancellationToken).ConfigureAwait(false);
        }
    }

    private protected override ValueTask DisposeCoreAsync()
    {
        // Pooled connections keep the file open (and its WAL); release this file's so that it can be moved or deleted.
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        return ValueTask.CompletedTask;
    }
}
