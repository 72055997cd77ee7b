using System.CommandLine;
using System.Globalization;
using Tandem.Configuration;
using Tandem.Storage;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem storage measure</c>: bytes per record on a throw-away SQLite file or PostgreSQL schema.</summary>
internal static class StorageCommand
{
    public static Command Create()
    {
        var records = new Option<int>("--records", "-n") { Description = "Records to insert (default 100000)", DefaultValueFactory = _ => 100_000 };
        var provider = new Option<string>("--provider") { Description = "sqlite or postgres (default sqlite)", DefaultValueFactory = _ => "sqlite" };
        provider.AcceptOnlyFromAmong("sqlite", "postgres");
        var connectionEnv = new Option<string>("--connection-string-env") { Description = "Environment variable with the PostgreSQL connection string (default TANDEM_PG)", DefaultValueFactory = _ => "TANDEM_PG" };
        var measure = new Command("measure", "Insert synthetic records into a throw-away database and report bytes per record (SQLite dbstat, PostgreSQL pg_total_relation_size).")
        {
            records, provider, connectionEnv,
        };
        measure.SetAction(async (parse, cancellationToken) =>
        {
            var n = parse.GetValue(records);
            var options = new StorageConfig { Provider = parse.GetValue(provider)! };
            string? dir = null;
            IRecordStore store;
            if (options.Provider == StorageProviders.Postgres)
            {
                var env = parse.GetValue(connectionEnv)!;
                var cs = Environment.GetEnvironmentVariable(env);
                if (string.IsNullOrEmpty(cs))
                {
                    await Console.Error.WriteLineAsync($"tandem storage measure: environment variable '{env}' is not set").ConfigureAwait(false);
                    return 2;
                }

                options = options with { Schema = "tandem_measure_" + Guid.NewGuid().ToString("N")[..8] };
                store = RecordStoreFactory.CreatePostgres(cs, options);
            }
            else
            {
                dir = Directory.CreateTempSubdirectory("tandem-measure-").FullName;
                store = RecordStoreFactory.CreateSqlite(Path.Combine(dir, "measure.db"), options);
            }

            await using (store.ConfigureAwait(false))
            {
                try
                {
                    await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
                    var result = await StorageMeasurement.RunAsync(store, n, cancellationToken).ConfigureAwait(false);
                    await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"{store.Provider}: {result.Records} records, {result.BytesPerRecord:0.0} bytes/record ({(result.Size.Method == "page_count" ? "whole database file, page_count × page_size: this SQLite build has no dbstat" : "records table, its indexes and the dictionary, " + result.Size.Method)}); all tables {result.Size.TotalBytes / (double)result.Records:0.0} bytes/record")).ConfigureAwait(false);
                }
                finally
                {
                    if (options.Provider == StorageProviders.Postgres)
                    {
                        await DropSchemaAsync(Environment.GetEnvironmentVariable(parse.GetValue(connectionEnv)!)!, options.Schema!, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            if (dir is not null)
            {
                Directory.Delete(dir, recursive: true);
            }

            return 0;
        });
        return new Command("storage", "Work with record storage.") { measure };
    }

    private static async Task DropSchemaAsync(string connectionString, string schema, CancellationToken cancellationToken)
    {
        var connection = new Npgsql.NpgsqlConnection(connectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var cmd = new Npgsql.NpgsqlCommand("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE", connection);
            await using (cmd.ConfigureAwait(false))
            {
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
