using System.Data.Common;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Tandem.Configuration;
using Tandem.Records;

namespace Tandem.Storage.PostgreSql;

/// <summary>PostgreSQL, for several gateway instances sharing state. Record batches go in by binary COPY.</summary>
internal sealed class PostgresDatabase : StorageDatabase
{
    private static readonly NpgsqlDbType[] RecordTypes =
    [
        NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Smallint, NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Integer,
        NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Smallint, NpgsqlDbType.Integer, NpgsqlDbType.Smallint, NpgsqlDbType.Smallint,
        NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Integer,
        NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Bigint, NpgsqlDbType.Integer,
        NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Text,
    ];

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;

    public PostgresDatabase(string connectionString, StorageConfig options, TimeProvider? time = null, Tandem.Privacy.ContentCipher? cipher = null)
        : base(options, time, cipher)
    {
        _schema = options.Schema ?? "public";
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            SearchPath = _schema,
        };
        if (!connectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase))
        {
            builder.Timeout = 5;
        }

        Where = $"PostgreSQL {builder.Host}:{builder.Port.ToString(CultureInfo.InvariantCulture)}/{builder.Database}, schema {_schema}";
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public override string Engine => StorageEngines.Postgres;

    public override string Where { get; }

    private protected override string MigrationPrefix => "Tandem.Storage.PostgreSql.";

    internal override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    private protected override async Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // The schema name is validated as a plain identifier by the configuration validator.
        await Sql.ExecuteAsync(connection, null, "CREATE SCHEMA IF NOT EXISTS \"" + _schema + "\"", cancellationToken).ConfigureAwait(false);
    }

    private protected override Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken cancellationToken) =>
        Sql.ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock(7312001)", cancellationToken);

    internal override async Task<bool> TryLockMaintenanceAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await Sql.ScalarAsync(connection, null, "SELECT pg_try_advisory_lock(7312002)", cancellationToken).ConfigureAwait(false) is true;

    internal override Task UnlockMaintenanceAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Sql.ExecuteAsync(connection, null, "SELECT pg_advisory_unlock(7312002)", cancellationToken);

    internal override async Task InsertRecordsAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<RequestRecord> records, Func<DictionaryKind, string?, int> id, CancellationToken cancellationToken)
    {
        var npgsql = (NpgsqlConnection)connection;
        var importer = await npgsql.BeginBinaryImportAsync("COPY records (" + string.Join(", ", RecordColumns.Records) + ") FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            foreach (var r in records)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                for (var c = 0; c < RecordColumns.Records.Length; c++)
                {
                    var value = SqlRecordStore.RecordValue(r, c, id).ToObject();
                    if (value is null)
                    {
                        await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await importer.WriteAsync(value, RecordTypes[c], cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    internal override async Task<StorageSize> MeasureAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // Sizes of the heap with its TOAST, free-space map and indexes.
            var sizes = await Sql.QueryAsync(connection,
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
                "WHERE n.nspname = @s AND c.relkind = 'r'", cancellationToken,
                r => (Name: r.GetString(0), Bytes: Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture)), ("@s", _schema)).ConfigureAwait(false);
            var recordBytes = sizes.Where(s => s.Name is "records" or "dictionary").Sum(s => s.Bytes);
            return new StorageSize(recordBytes, sizes.Sum(s => s.Bytes), "pg_total_relation_size");
        }
    }

    internal override async Task CompactAsync(string table, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await Sql.ExecuteAsync(connection, null, "VACUUM FULL " + table, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Drops this database's schema and everything in it (throw-away measurement schemas).</summary>
    internal async Task DropSchemaAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await Sql.ExecuteAsync(connection, null, "DROP SCHEMA IF EXISTS \"" + _schema + "\" CASCADE", cancellationToken).ConfigureAwait(false);
        }
    }

    private protected override async ValueTask DisposeCoreAsync() => await _dataSource.DisposeAsync().ConfigureAwait(false);
}
