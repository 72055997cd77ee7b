using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Migration;
using Tandem.Server;
using Tandem.Server.Access;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// Two gateways on real Kestrel and one real PostgreSQL. Each runs on its own fake clock, so that "within one sync
/// interval" is shown exactly: the other instance still holds the old state until its clock has moved one interval
/// and its poll has run, and holds the new state right after.
/// </summary>
public sealed class ClusterTests
{
    private static string Config(string schema, string variable, string extraRoute = "") => $$"""
        server: { sync_interval: 2s }
        storage: { engine: postgres, connection_string_env: {{variable}}, schema: {{schema}} }
        auth:
          admin_key_sha256: {{KeysTests.AdminHash}}
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - { name: sim, base_url: "{sim0}" }
        deployments:
          - { name: gpt, provider: sim, model: gpt-4o-mini }
          - { name: llama, provider: sim, model: llama }
        routes:
          - { name: chat, deployment: gpt }
          - name: intent
            deployment: gpt
            migration: { to: llama, stage: shadow, evaluate_every: 1h }
        {{extraRoute}}
        """;

    private sealed class Instance(GatewayApp app, FakeTimeProvider time) : IAsyncDisposable
    {
        public GatewayApp App { get; } = app;

        public FakeTimeProvider Time { get; } = time;

        public ClusterSync Sync => App.Services.GetRequiredService<ClusterSync>();

        public MigrationState Migration => App.Services.GetRequiredService<MigrationCoordinator>().States["intent"];

        /// <summary>Moves this instance's clock by one sync interval and waits for the poll that fires.</summary>
        public async Task NextIntervalAsync()
        {
            var pass = Sync.Passes + 1;
            Time.Advance(Sync.Interval);
            await Sync.WaitForPassAsync(pass).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        }

        public async Task<HttpStatusCode[]> ChatAsync(string key, int concurrent)
        {
            using var http = new HttpClient { BaseAddress = App.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var calls = Enumerable.Range(0, concurrent).Select(async _ =>
            {
                using var response = await http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);
                return response.StatusCode;
            });
            return await Task.WhenAll(calls);
        }

        public ValueTask DisposeAsync() => App.DisposeAsync();
    }

    private static async Task<Instance> StartAsync(string path)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        var app = GatewayApp.Create(new GatewayAppOptions { ConfigPath = path, Urls = "http://127.0.0.1:0", LoggerProvider = new TestLoggerProvider(), WatchConfig = false, Time = time });
        await app.StartAsync(Ct);
        var instance = new Instance(app, time);
        await instance.Sync.WaitForPassAsync(1).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        return instance;
    }

    [Fact]
    public async Task TwoInstances_KeysMigrationsAndReloads_ReachTheOtherWithinOneSyncInterval_AndEveryActionIsAudited()
    {
        var connectionString = Environment.GetEnvironmentVariable("TANDEM_TEST_POSTGRES")
            ?? throw new InvalidOperationException("TANDEM_TEST_POSTGRES is not set: run the tests with ./test.sh, which starts PostgreSQL");
        var schema = "cluster_" + Guid.NewGuid().ToString("N")[..12];
        var variable = "TANDEM_CLUSTER_PG_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(variable, connectionString);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        using var dir = new TempDir("tandem-cluster-");
        var path = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(path, TestGateway.Expand(Config(schema, variable), [sim]), Ct);
        try
        {
            await using var a = await StartAsync(path);
            await using var b = await StartAsync(path);
            using var adminA = KeysTests.Admin(a.App.BaseAddress);
            using var adminB = KeysTests.Admin(b.App.BaseAddress);

            // A key made on A: A accepts it at once; B from its next poll.
            var created = await KeysTests.CreateKeyAsync(adminA, """{"name":"shared","team":"cards"}""");
            var key = created.GetProperty("key").GetString()!;
            Assert.All(await a.ChatAsync(key, 32), s => Assert.Equal(HttpStatusCode.OK, s));
            Assert.All(await b.ChatAsync(key, 1), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
            await b.NextIntervalAsync();
            Assert.All(await b.ChatAsync(key, 32), s => Assert.Equal(HttpStatusCode.OK, s));

            // Revoked on A: refused by A at once, and by B from its next poll (32 concurrent clients on each).
            using (var revoke = await adminA.PostAsync($"admin/keys/{created.GetProperty("id").GetString()}/revoke", null, Ct))
            {
                Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
            }

            Assert.All(await a.ChatAsync(key, 32), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
            Assert.All(await b.ChatAsync(key, 1), s => Assert.Equal(HttpStatusCode.OK, s));
            await b.NextIntervalAsync();
            Assert.All(await b.ChatAsync(key, 32), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
            Assert.All(await a.ChatAsync(key, 32), s => Assert.Equal(HttpStatusCode.Unauthorized, s));

            // A migration stage moved on A: B's request path serves the new stage from its next poll.
            using (var advance = await adminA.PostAsync("admin/migrations/intent/advance", null, Ct))
            {
                Assert.Equal(HttpStatusCode.OK, advance.StatusCode);
            }

            Assert.Equal((MigrationStage.Canary, MigrationStage.Shadow), (a.Migration.Stage, b.Migration.Stage));
            await b.NextIntervalAsync();
            Assert.Equal((MigrationStage.Canary, 2L), (b.Migration.Stage, b.Migration.Version));

            // A configuration reload on A: B reloads the same file from its next poll.
            await File.WriteAllTextAsync(path, TestGateway.Expand(Config(schema, variable, "  - { name: extra, deployment: llama }"), [sim]), Ct);
            using (var reload = await adminA.PostAsync("admin/reload", null, Ct))
            {
                Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
            }

            var versionB = b.App.State.Current.Version;
            Assert.True(a.App.State.Current.Routes.ContainsKey("extra"));
            Assert.False(b.App.State.Current.Routes.ContainsKey("extra"));
            await b.NextIntervalAsync();
            Assert.True(b.App.State.Current.Routes.ContainsKey("extra"));
            Assert.Equal(versionB + 1, b.App.State.Current.Version);
            // A does not reload again for its own announcement.
            var versionA = a.App.State.Current.Version;
            await a.NextIntervalAsync();
            Assert.Equal(versionA, a.App.State.Current.Version);

            // Every admin action taken on A is in the one audit log, read through B.
            var entries = JsonDocument.Parse(await adminB.GetStringAsync("admin/audit", Ct)).RootElement.GetProperty("entries");
            Assert.Equal(["config.reload", "migration.advance", "key.revoke", "key.create"],
                entries.EnumerateArray().Select(e => e.GetProperty("action").GetString()));
            Assert.All(entries.EnumerateArray(), e => Assert.Equal("admin", e.GetProperty("actor").GetString()));
            var migration = entries[1];
            Assert.Equal("route:intent", migration.GetProperty("object").GetString());
            Assert.Equal(("shadow", "canary"), (migration.GetProperty("before").GetProperty("stage").GetString(), migration.GetProperty("after").GetProperty("stage").GetString()));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(Ct);
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync(Ct);
        }
    }
}
