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
        var records = new Option<int>("--records", "-n") { Description = "Records to write (default 100000)", DefaultValueFactory = _ => 100_000 };
        var batchSize = new Option<int>("--batch-size")
        {
            Description = "Records per write batch (default 1: below a few hundred requests/s the writer finds one or two records queued per batch, and each batch leaves a row for 7 days)",
            DefaultValueFactory = _ => 1,
        };
        var engine = new Option<string>("--engine", "--provider") { Description = "sqlite or postgres (default sqlite; --provider is its old name)", DefaultValueFactory = _ => StorageEngines.Sqlite };
        engine.AcceptOnlyFromAmong(StorageEngines.Sqlite, StorageEngines.Postgres);
        var connectionEnv = new Option<string>("--connection-string-env") { Description = "Environment variable with the PostgreSQL connection string (default TANDEM_PG)", DefaultValueFactory = _ => "TANDEM_PG" };
        var measure = new Command("measure",
            "Write synthetic records into a throw-away database as the gateway's writer does (one batches row per write) and report bytes per record: " +
            "every table, while the batch rows are kept (first 7 days) and after maintenance has deleted them.")
        {
            records, batchSize, engine, connectionEnv,
        };
        measure.SetAction(async (parse, cancellationToken) =>
        {
            var n = parse.GetValue(records);
            var perBatch = parse.GetValue(batchSize);
            if (n < 1 || perBatch < 1)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("tandem storage measure: --records and --batch-size must be positive").ConfigureAwait(false);
                return 2;
            }

            var engineName = parse.GetValue(engine)!;
            string? connectionString = null;
            if (engineName == StorageEngines.Postgres)
            {
                var env = parse.GetValue(connectionEnv)!;
                connectionString = Environment.GetEnvironmentVariable(env);
                if (string.IsNullOrEmpty(connectionString))
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"tandem storage measure: environment variable '{env}' is not set").ConfigureAwait(false);
                    return 2;
                }
            }

            var result = await StorageMeasurement.RunOnThrowAwayAsync(engineName, connectionString, n, perBatch, cancellationToken).ConfigureAwait(false);
            var method = result.Method switch
            {
                "page_count" => "whole database file, page_count × page_size (this SQLite build has no dbstat)",
                "dbstat" => "every table and index, SQLite dbstat",
                _ => "every table with its indexes and TOAST, " + result.Method,
            };
            await parse.InvocationConfiguration.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{engineName}: {result.Records} records in batches of {result.BatchSize}; {method}:{Environment.NewLine}" +
                $"  first 7 days (a batches row per write):  {result.FirstWeekBytesPerRecord:0.0} bytes/record{Environment.NewLine}" +
                $"  steady state (batch rows deleted):       {result.SteadyBytesPerRecord:0.0} bytes/record")).ConfigureAwait(false);
            return 0;
        });
        return new Command("storage", "Work with record storage.") { measure };
    }
}
