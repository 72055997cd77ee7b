using Tandem.Configuration;
using Tandem.Storage.PostgreSql;
using Tandem.Storage.Sqlite;

namespace Tandem.Storage;

/// <summary>Opens the database a configuration names, with its record store and migration store.</summary>
public static class StorageFactory
{
    /// <summary>
    /// Opens (without connecting or migrating) the database of <paramref name="options"/>. A relative SQLite path is
    /// taken relative to <paramref name="baseDirectory"/> (the configuration file's directory). For PostgreSQL the
    /// connection string comes from the environment variable <c>storage.connection_string_env</c>; when it is missing
    /// this throws rather than falling back to another database.
    /// </summary>
    /// <exception cref="InvalidOperationException">PostgreSQL without its connection string.</exception>
    public static StorageDatabase Open(StorageConfig options, string baseDirectory, TimeProvider? time = null) => Open(options, baseDirectory, time, null);

    /// <summary>
    /// As <see cref="Open(StorageConfig, string, TimeProvider?)"/>, with captured content (prompts, answers, feedback
    /// text, shadow answers) encrypted at rest by <paramref name="cipher"/> (<see cref="Tandem.Privacy.ContentCipher.Load"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">PostgreSQL without its connection string.</exception>
    public static StorageDatabase Open(StorageConfig options, string baseDirectory, TimeProvider? time, Tandem.Privacy.ContentCipher? cipher)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        if (options.Engine == StorageEngines.Postgres)
        {
            var env = options.ConnectionStringEnv ?? throw new InvalidOperationException("storage.connection_string_env is required for postgres");
            var connectionString = Environment.GetEnvironmentVariable(env);
            if (string.IsNullOrEmpty(connectionString))
            {
                throw new InvalidOperationException($"storage.connection_string_env: environment variable '{env}' is not set");
            }

            return new PostgresDatabase(connectionString, options, time, cipher);
        }

        return new SqliteDatabase(Path.Combine(baseDirectory, options.Path), options, time, cipher);
    }

    /// <summary>Opens a PostgreSQL database from a connection string (tests, tools); <c>options.Schema</c> names the schema.</summary>
    public static StorageDatabase OpenPostgres(string connectionString, StorageConfig options, TimeProvider? time = null, Tandem.Privacy.ContentCipher? cipher = null) => new PostgresDatabase(connectionString, options, time, cipher);

    /// <summary>Opens a SQLite file (tests, tools).</summary>
    public static StorageDatabase OpenSqlite(string path, StorageConfig options, TimeProvider? time = null, Tandem.Privacy.ContentCipher? cipher = null) => new SqliteDatabase(path, options, time, cipher);
}
