using Tandem.Configuration;
using Tandem.Storage.PostgreSql;
using Tandem.Storage.Sqlite;

namespace Tandem.Storage;

/// <summary>Opens the record store a configuration names.</summary>
public static class RecordStoreFactory
{
    /// <summary>
    /// Creates (without migrating) the store for <paramref name="options"/>. A relative SQLite path is taken relative
    /// to <paramref name="baseDirectory"/> (the configuration file's directory).
    /// </summary>
    public static IRecordStore Create(StorageConfig options, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        if (options.Provider == StorageProviders.Postgres)
        {
            var env = options.ConnectionStringEnv ?? throw new InvalidOperationException("storage.connection_string_env is required for postgres");
            var connectionString = Environment.GetEnvironmentVariable(env);
            if (string.IsNullOrEmpty(connectionString))
            {
                throw new InvalidOperationException($"storage.connection_string_env: environment variable '{env}' is not set");
            }

            return new PostgresRecordStore(connectionString, options);
        }

        return new SqliteRecordStore(Path.Combine(baseDirectory, options.Path), options);
    }

    /// <summary>Creates a PostgreSQL store from a connection string (tests, tools).</summary>
    public static IRecordStore CreatePostgres(string connectionString, StorageConfig options) => new PostgresRecordStore(connectionString, options);

    /// <summary>Creates a SQLite store for a file (tests, tools).</summary>
    public static IRecordStore CreateSqlite(string path, StorageConfig options) => new SqliteRecordStore(path, options);

    /// <summary>A human description of where records go, without credentials.</summary>
    public static string Describe(IRecordStore store) => store switch
    {
        SqliteRecordStore s => s.FilePath,
        _ => "PostgreSQL",
    };
}
