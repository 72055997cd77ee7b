using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Tandem.Configuration;
using Tandem.Records;

namespace Tandem.Storage.Sqlite;

/// <summary>Records in one SQLite file, in WAL mode so that reads (reports, roll-ups) never block the writer.</summary>
internal sealed class SqliteRecordStore : SqlRecordStore
{
    private readonly string _connectionString;

    public SqliteRecordStore(string path, StorageConfig options)
        : base(options)
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

    public override string Provider => StorageProviders.Sqlite;

    /// <summary>The database file.</summary>
    public string FilePath { get; }

    protected override string MigrationPrefix => "Tandem.Storage.Sqlite.";

    protected override int MaxRowsPerInsert => 16;

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
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
            await ExecuteAsync(connection, null, "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override async Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await ScalarAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken).ConfigureAwait(false);
    }

    protected override Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken cancellationToken) =>
        // Microsoft.Data.Sqlite begins transactions with BEGIN IMMEDIATE: the write lock is already held.
        Task.CompletedTask;

    protected override Task InsertRecordsAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<RequestRecord> records, Func<DictionaryKind, string?, int> id, CancellationToken cancellationToken) =>
        InsertRowsAsync(connection, tx, "records", RecordColumns.Records, records.Count, (row, column) => RecordValue(records[row], column, id), cancellationToken);

    public override async Task<StorageSize> MeasureAsync(CancellationToken cancellationToken = default)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await ExecuteAsync(connection, null, "PRAGMA wal_checkpoint(TRUNCATE)", cancellationToken).ConfigureAwait(false);
            try
            {
                var sizes = await QueryAsync(connection, "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name", cancellationToken,
                    r => (Name: r.GetString(0), Bytes: Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture))).ConfigureAwait(false);
                var recordBytes = sizes.Where(s => s.Name is "records" or "records_time" or "records_request" or "dictionary" || s.Name.StartsWith("sqlite_autoindex_dictionary", StringComparison.Ordinal)).Sum(s => s.Bytes);
                return new StorageSize(recordBytes, sizes.Sum(s => s.Bytes), "dbstat");
            }
            catch (SqliteException)
            {
                // SQLite built without the dbstat virtual table: fall back to the whole file's pages.
                var pages = Convert.ToInt64(await ScalarAsync(connection, null, "PRAGMA page_count", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                var pageSize = Convert.ToInt64(await ScalarAsync(connection, null, "PRAGMA page_size", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                return new StorageSize(pages * pageSize, pages * pageSize, "page_count");
            }
        }
    }

    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open (and its WAL); release them so the file can be moved or deleted.
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
