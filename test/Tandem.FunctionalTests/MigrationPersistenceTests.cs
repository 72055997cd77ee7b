using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Npgsql;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Migration;
using Tandem.Server;
using Tandem.Configuration;
using Tandem.Storage;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

public sealed class MigrationPersistenceTests
{
    private const string AdminKey = "admin-key-123456";

    private const string Config = """
        auth:
          admin_key_env: TANDEM_TEST_ADMIN_KEY
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - { name: a, base_url: "{sim0}" }
          - { name: b, base_url: "{sim1}" }
        deployments:
          - { name: gpt-4o-mini, provider: a, model: gpt-4o-mini }
          - { name: llama-8b, provider: b, model: llama }
        routes:
          - name: intent
            deployment: gpt-4o-mini
            migration: { to: llama-8b, stage: shadow, evaluate_every: 1h }
        """;

    private static async Task<string> StageAsync(Uri gateway)
    {
        using var admin = new HttpClient { BaseAddress = gateway };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var doc = JsonDocument.Parse(await admin.GetStringAsync("admin/migrations/intent", Ct));
        return doc.RootElement.GetProperty("migrations")[0].GetProperty("stage").GetString()!;
    }

    private static async Task<string> CommandAsync(Uri gateway, string command)
    {
        using var admin = new HttpClient { BaseAddress = gateway };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var response = await admin.PostAsync($"admin/migrations/intent/{command}", null, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.GetProperty("migrations")[0].GetProperty("stage").GetString()!;
    }

    [Fact]
    public async Task Restart_ResumesAtTheSameStage_FromTheSqliteFile()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADMIN_KEY", AdminKey);
        await using var a = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var b = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        var dir = Directory.CreateTempSubdirectory("tandem-restart-").FullName;
        var path = Path.Combine(dir, "tandem.yaml");
        await File.WriteAllTextAsync(path, TestGateway.Expand(Config, [a, b]), Ct);

        await using (var first = GatewayApp.Create(new GatewayAppOptions { ConfigPath = path, Urls = "http://127.0.0.1:0", LoggerProvider = new TestLoggerProvider() }))
        {
            await first.StartAsync(Ct);
            Assert.Equal("shadow", await StageAsync(first.BaseAddress));
            Assert.Equal("canary 5%", await CommandAsync(first.BaseAddress, "advance"));
            Assert.Equal("canary 25%", await CommandAsync(first.BaseAddress, "advance"));
        }

        Assert.True(File.Exists(Path.Combine(dir, "tandem.db")));
        await using (var second = GatewayApp.Create(new GatewayAppOptions { ConfigPath = path, Urls = "http://127.0.0.1:0", LoggerProvider = new TestLoggerProvider() }))
        {
            await second.StartAsync(Ct);
            Assert.Equal("canary 25%", await StageAsync(second.BaseAddress));

            // And it serves by that stage: a quarter of users go to the candidate.
            using var http = new HttpClient { BaseAddress = second.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestGateway.Key);
            var candidate = 0;
            for (var i = 0; i < 200; i++)
            {
                using var response = await http.PostAsync("v1/chat/completions", Json($$"""{"model":"intent","user":"u{{i}}","messages":[{"role":"user","content":"hi"}]}"""), Ct);
                candidate += response.Headers.GetValues("x-tandem-deployment").Single() == "llama-8b" ? 1 : 0;
            }

            Assert.InRange(candidate, 30, 75);
        }

        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task TwoInstancesOnOnePostgres_AgreeOnTheStage_AndMoveItOnce()
    {
        var connectionString = Environment.GetEnvironmentVariable("TANDEM_TEST_POSTGRES")
            ?? throw new InvalidOperationException("TANDEM_TEST_POSTGRES is not set: run the tests with ./test.sh, which starts PostgreSQL");
        var database = "tandem_mig_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(connectionString))
        {
            await admin.OpenAsync(Ct);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync(Ct);
        }

        var cs = new NpgsqlConnectionStringBuilder(connectionString) { Database = database }.ToString();
        var variable = "TANDEM_MIG_PG_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(variable, cs);
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADMIN_KEY", AdminKey);
        await using var a = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var b = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        var dir = Directory.CreateTempSubdirectory("tandem-pg-").FullName;
        var path = Path.Combine(dir, "tandem.yaml");
        await File.WriteAllTextAsync(path, TestGateway.Expand(Config + $"\nstorage: {{ engine: postgres, connection_string_env: {variable} }}\n", [a, b]), Ct);

        await using var one = GatewayApp.Create(new GatewayAppOptions { ConfigPath = path, Urls = "http://127.0.0.1:0", LoggerProvider = new TestLoggerProvider() });
        await using var two = GatewayApp.Create(new GatewayAppOptions { ConfigPath = path, Urls = "http://127.0.0.1:0", LoggerProvider = new TestLoggerProvider() });
        await one.StartAsync(Ct);
        await two.StartAsync(Ct);

        Assert.Equal("shadow", await StageAsync(one.BaseAddress));
        Assert.Equal("shadow", await StageAsync(two.BaseAddress));
        Assert.Equal("canary 5%", await CommandAsync(one.BaseAddress, "advance"));
        Assert.Equal("canary 5%", await StageAsync(two.BaseAddress));
        Assert.Equal("canary 25%", await CommandAsync(two.BaseAddress, "advance"));
        Assert.Equal("canary 25%", await StageAsync(one.BaseAddress));

        // A stale writer loses: the store refuses an update from an old version.
        await using var db = StorageFactory.OpenPostgres(cs, new StorageConfig());
        var store = db.Migrations;
        var current = (await store.ListAsync(Ct)).Single();
        Assert.False(await store.TryUpdateAsync(current with { Stage = MigrationStage.Full, Version = 99 }, current.Version - 1, Ct));
        Assert.True(await store.TryUpdateAsync(current with { Stage = MigrationStage.Cutover, Version = current.Version + 1 }, current.Version, Ct));
        Assert.Equal("cutover", await StageAsync(one.BaseAddress));

        var history = await store.EventsAsync("intent", 10, cancellationToken: Ct);
        Assert.Equal(["advance", "advance", "start"], history.Select(e => e.Kind));
        // The migration tables are in the versioned schema of the records' database, not created on the side.
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], await db.SchemaVersionsAsync(Ct));
        Environment.SetEnvironmentVariable(variable, null);
        Directory.Delete(dir, recursive: true);
    }
}
