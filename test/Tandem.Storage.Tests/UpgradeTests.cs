using Tandem.Configuration;
using Tandem.Migration;
using Xunit;

namespace Tandem.Storage.Tests;

/// <summary>
/// Databases written by the gateway before storage moved into one place (commit ad2f52a: records from 001, migration
/// tables created on the side by CREATE TABLE IF NOT EXISTS, with rows) upgrade in place. The fixtures in TestData/
/// were produced by running that commit's `tandem serve` (TestData/README.md); the expected values below are what
/// that run did: 12 requests gen-001…gen-012 on route intent, 11 shadow samples stored, evaluations every second,
/// one manual advance from shadow to canary 5% (event 5), and as its last evaluation (event 7) the gates samples,
/// duration and agreement failing.
/// </summary>
public sealed class UpgradeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", name);

    [Fact]
    public async Task Migrate_SqliteFileWrittenByAd2f52a_UpgradesInPlaceAndKeepsItsRows()
    {
        var dir = Directory.CreateTempSubdirectory("tandem-upgrade-").FullName;
        var path = Path.Combine(dir, "tandem.db");
        try
        {
            // The file as ad2f52a left it, rebuilt from its dump.
            await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + path + ";Pooling=False"))
            {
                await connection.OpenAsync(Ct);
                await using var command = connection.CreateCommand();
                command.CommandText = await File.ReadAllTextAsync(Fixture("sqlite-ad2f52a.sql"), Ct);
                await command.ExecuteNonQueryAsync(Ct);
            }

            await using var database = StorageFactory.OpenSqlite(path, new StorageConfig());
            await AssertUpgradedAsync(database, lastEvaluationUs: 1796179553143592);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Migrate_PostgresSchemaWrittenByAd2f52a_UpgradesInPlaceAndKeepsItsRows()
    {
        var schema = StoreFixtures.NewSchema();
        await StoreFixtures.ExecutePostgresAsync((await File.ReadAllTextAsync(Fixture("postgres-ad2f52a.sql"), Ct)).Replace("old_tandem", schema, StringComparison.Ordinal));
        try
        {
            await using var database = StorageFactory.OpenPostgres(StoreFixtures.PostgresConnectionString, new StorageConfig { Engine = StorageEngines.Postgres, Schema = schema });
            await AssertUpgradedAsync(database, lastEvaluationUs: 1796179574127370);
        }
        finally
        {
            await StoreFixtures.DropSchemaAsync(schema);
        }
    }

    private static async Task AssertUpgradedAsync(StorageDatabase database, long lastEvaluationUs)
    {
        Assert.Equal([1], await database.SchemaVersionsAsync(Ct));
        await database.MigrateAsync(Ct);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], await database.SchemaVersionsAsync(Ct));

        // Records.
        Assert.Equal(12, await database.Records.CountAsync(cancellationToken: Ct));
        var record = await database.Records.GetAsync("gen-007", Ct);
        Assert.NotNull(record);
        Assert.Equal(("intent", "gpt-4o-mini", 200, "t"), (record!.Route, record.Deployment, record.Status, record.Key));

        // Migration state.
        var state = Assert.Single(await database.Migrations.ListAsync(Ct));
        Assert.Equal(("intent", "gpt-4o-mini", "llama-8b", MigrationStage.Canary, 0, false, 2L),
            (state.Route, state.Incumbent, state.Candidate, state.Stage, state.CanaryStep, state.Pinned, state.Version));

        // Stage changes stay in the history; the five per-tick evaluations left it.
        var history = await database.Migrations.EventsAsync("intent", 10, cancellationToken: Ct);
        Assert.Equal([(5L, "advance", "shadow", "canary 5%", "manual"), (1L, "start", null, "shadow", "config")],
            history.Select(e => (e.Id, e.Kind, e.From, e.To, e.Trigger)));

        // The latest evaluation became the first evaluation run.
        var run = Assert.Single(await database.Migrations.EvaluationsAsync("intent", 10, Ct));
        Assert.Equal(("canary 5%", "fail: samples, duration, agreement", 1), (run.Stage, run.Outcome, run.Count));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(lastEvaluationUs * 10), run.Time);
        Assert.Equal(run.Time, run.FirstTime);

        // Shadow samples.
        var samples = await database.Migrations.SamplesAsync("intent", DateTimeOffset.UnixEpoch, Ct);
        Assert.Equal(11, samples.Count);
        Assert.All(samples, s => Assert.Equal(("incumbent", true), (s.ServedBy, s.Agree)));
        Assert.DoesNotContain(samples, s => s.IncumbentAnswer is null || s.CandidateAnswer is null);

        // New rows continue the old ids, and a second migration pass changes nothing.
        await database.Migrations.AppendEventAsync(new MigrationEvent { Route = "intent", Time = DateTimeOffset.UnixEpoch.AddTicks((lastEvaluationUs + 1) * 10), Kind = "rollback", From = "canary 5%", To = "rolled back", Trigger = "manual" }, Ct);
        Assert.Equal(8L, (await database.Migrations.EventsAsync("intent", 1, cancellationToken: Ct))[0].Id);
        await database.MigrateAsync(Ct);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], await database.SchemaVersionsAsync(Ct));
        Assert.Equal(3, (await database.Migrations.EventsAsync("intent", 10, cancellationToken: Ct)).Count);
    }
}
