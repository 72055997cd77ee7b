using Npgsql;
using Tandem.Configuration;

namespace Tandem.Storage.Tests;

/// <summary>Creates stores on throw-away databases: a temp-dir SQLite file, or a fresh schema on the test PostgreSQL.</summary>
internal static class StoreFixtures
{
    public const string PostgresVariable = "TANDEM_TEST_POSTGRES";

    public static string PostgresConnectionString =>
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                $"{PostgresVariable} is not set: the PostgreSQL storage tests need a real server. Run them through test.sh, which starts one, " +
                $"or export {PostgresVariable}=\"Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres\".");

    public static async Task<(StorageDatabase Database, Func<Task> Cleanup)> SqliteAsync(StorageConfig options)
    {
        var dir = Directory.CreateTempSubdirectory("tandem-store-").FullName;
        var store = StorageFactory.OpenSqlite(Path.Combine(dir, "tandem.db"), options);
        await store.MigrateAsync();
        return (store, async () =>
        {
            await store.DisposeAsync();
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        });
    }

    public static async Task<(StorageDatabase Database, Func<Task> Cleanup)> PostgresAsync(StorageConfig options)
    {
        var connectionString = PostgresConnectionString;
        var schema = NewSchema();
        var store = StorageFactory.OpenPostgres(connectionString, options with { Schema = schema });
        await store.MigrateAsync();
        return (store, async () =>
        {
            await store.DisposeAsync();
            await DropSchemaAsync(schema);
        });
    }

    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>Runs SQL (several statements at once) on the test PostgreSQL.</summary>
    public static async Task ExecutePostgresAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task DropSchemaAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
        await cmd.ExecuteNonQueryAsync();
    }
}
