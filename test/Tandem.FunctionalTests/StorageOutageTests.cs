using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Tandem.Configuration;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Tandem.Storage;
using Xunit;

namespace Tandem.FunctionalTests;

public sealed class StorageOutageTests
{
    private const string AdminKey = "admin-key-outage-1234";

    /// <summary>Route "intent" migrating from deployment "gpt" to "llama" (shadow), both on one simulator; admin key set.</summary>
    private const string MigrationConfig = """
        auth:
          admin_key_env: TANDEM_OUTAGE_ADMIN_KEY
          keys: [ { name: test, key: sk-test-key-123456 } ]
        server: { shutdown_timeout: 3s }
        providers:
          - { name: sim, base_url: "{sim0}" }
        deployments:
          - { name: gpt, provider: sim, model: gpt-4o-mini }
          - { name: llama, provider: sim, model: llama }
        routes:
          - name: intent
            deployment: gpt
            migration: { to: llama, stage: shadow, evaluate_every: 1h }
        """;

    [Fact]
    public async Task Start_PostgresDown_ServesV1_ReadyzAndAdminMigrationsAnswer503_ThenMigrationsAndRecordsResumeWhenItReturns()
    {
        await using var pg = await PrivatePostgres.StartAsync(Ct);
        await pg.StopServerAsync(Ct);
        var variable = "TANDEM_OUTAGE_PG_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(variable, pg.ConnectionString);
        Environment.SetEnvironmentVariable("TANDEM_OUTAGE_ADMIN_KEY", AdminKey);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 3 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(MigrationConfig + $"\nstorage: {{ engine: postgres, connection_string_env: {variable} }}\n", sim);
        var writer = gateway.Writer();
        using var admin = Admin(gateway);

        // Down at start: the gateway started, serves (records queue) and says it is not ready.
        for (var i = 0; i < 3; i++)
        {
            using var response = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"intent","messages":[{"role":"user","content":"hi"}]}"""), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await RecordsHelpers.Until(() => writer.Held == 3, "3 records queued", Ct);
        Assert.Equal(0, writer.Written);
        await AssertUnavailableAsync(gateway.Http, admin);

        // Back: the schema is migrated, the stored (here: configured) migration is read, the queue is written.
        await pg.StartServerAsync(Ct);
        await RecordsHelpers.UntilAsync(async () => (await gateway.Http.GetAsync("readyz", Ct)).StatusCode == HttpStatusCode.OK, "readyz 200", Ct);
        await RecordsHelpers.UntilAsync(async () => (await admin.GetAsync("admin/migrations/intent", Ct)).StatusCode == HttpStatusCode.OK, "admin/migrations 200", Ct);
        using (var doc = JsonDocument.Parse(await admin.GetStringAsync("admin/migrations/intent", Ct)))
        {
            var m = doc.RootElement.GetProperty("migrations")[0];
            Assert.Equal(("shadow", "gpt", "llama"), (m.GetProperty("stage").GetString(), m.GetProperty("incumbent").GetString(), m.GetProperty("candidate").GetString()));
            Assert.Equal(["start"], m.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
        }

        await gateway.WaitForRecordsAsync(3, Ct);
        Assert.Equal((3L, 0L), (writer.Written, writer.Dropped));
        Environment.SetEnvironmentVariable(variable, null);
    }

    [Fact]
    public async Task Start_SqlitePathUnusable_ServesV1_ReadyzAndAdminMigrationsAnswer503_ShutdownCountsTheQueuedRecords()
    {
        Environment.SetEnvironmentVariable("TANDEM_OUTAGE_ADMIN_KEY", AdminKey);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 3 }, cancellationToken: Ct);
        // A path under a regular file can never be created.
        var gateway = await TestGateway.StartAsync(MigrationConfig + "\nstorage: { engine: sqlite, path: /dev/null/tandem.db }\n", sim);
        var writer = gateway.Writer();
        try
        {
            using var admin = Admin(gateway);
            for (var i = 0; i < 4; i++)
            {
                using var response = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"intent","messages":[{"role":"user","content":"hi"}]}"""), Ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            await RecordsHelpers.Until(() => writer.Held == 4 && writer.Failing, "4 records queued", Ct);
            await AssertUnavailableAsync(gateway.Http, admin);
        }
        finally
        {
            await gateway.DisposeAsync(); // shutdown_timeout 3s: the four records cannot be written, and are counted
        }

        Assert.Equal((0L, 4L, 0L), (writer.Written, writer.Dropped, writer.Held));
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("Shutdown: 4 record(s) could not be written", StringComparison.Ordinal));
    }

    private static HttpClient Admin(TestGateway gateway)
    {
        var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return admin;
    }

    /// <summary>/readyz is 503; every migrations admin endpoint answers an OpenAI-shaped 503 storage_unavailable.</summary>
    private static async Task AssertUnavailableAsync(HttpClient http, HttpClient admin)
    {
        using (var ready = await http.GetAsync("readyz", Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            using var doc = JsonDocument.Parse(await ready.Content.ReadAsStringAsync(Ct));
            Assert.Equal("unreachable", doc.RootElement.GetProperty("storage").GetString());
        }

        foreach (var (method, path) in new[] { (HttpMethod.Get, "admin/migrations"), (HttpMethod.Get, "admin/migrations/intent"), (HttpMethod.Post, "admin/migrations/intent/advance"), (HttpMethod.Post, "admin/migrations/intent/evaluate") })
        {
            using var response = await admin.SendAsync(new HttpRequestMessage(method, path), Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            var error = doc.RootElement.GetProperty("error");
            Assert.Equal(("storage_unavailable", "server_error"), (error.GetProperty("code").GetString(), error.GetProperty("type").GetString()));
            Assert.StartsWith("Storage is unreachable: ", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task PostgresStoppedDuringLoad_EveryRequestServed_WritingResumes_WrittenPlusDroppedEqualsServed()
    {
        await using var pg = await PrivatePostgres.StartAsync(Ct);
        var variable = "TANDEM_OUTAGE_PG_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(variable, pg.ConnectionString);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 3 }, cancellationToken: Ct);
        var config = Configs.Single + $$"""

            storage:
              engine: postgres
              connection_string_env: {{variable}}
              queue_capacity: 40
              batch_size: 10
            """;
        var gateway = await TestGateway.StartAsync(config, sim);
        var writer = gateway.Writer();
        long served = 0;
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        try
        {
            var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    using var response = await gateway.Http.PostAsync("v1/chat/completions",
                        Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);
                    await response.Content.ReadAsByteArrayAsync(Ct);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        failures.Enqueue(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }

                    Interlocked.Increment(ref served);
                }
            }, Ct)).ToList();

            // Healthy: records flow.
            await RecordsHelpers.Until(() => writer.Written >= 20, "20 records written", Ct);

            // Outage under load: requests keep being served, records queue up to the bound, then are dropped.
            await pg.StopServerAsync(Ct);
            var servedAtStop = Interlocked.Read(ref served);
            await RecordsHelpers.Until(() => writer.Failing && writer.Dropped > 0 && Interlocked.Read(ref served) > servedAtStop + 60, "drops during the outage", Ct);
            Assert.InRange(writer.Held, 0, 40);
            using (var ready = await gateway.Http.GetAsync("readyz", Ct))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            }

            // Recovery: the held batch and the queue are written, and new records follow.
            await pg.StartServerAsync(Ct);
            var writtenAtRestart = writer.Written;
            await RecordsHelpers.Until(() => !writer.Failing && writer.Written >= writtenAtRestart + 60, "writing to resume", Ct);
            using (var ready = await gateway.Http.GetAsync("readyz", Ct))
            {
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            }

            await stop.CancelAsync();
            await Task.WhenAll(load);
        }
        finally
        {
            await stop.CancelAsync();
            await gateway.DisposeAsync(); // stops the host: drains requests, then flushes the writer
        }

        Assert.Empty(failures);
        Assert.True(writer.Dropped > 0);
        Assert.Equal(Interlocked.Read(ref served), writer.Written + writer.Dropped);
        await using var database = StorageFactory.OpenPostgres(pg.ConnectionString, new StorageConfig());
        Assert.Equal(writer.Written, await database.Records.CountAsync(cancellationToken: Ct));
        Environment.SetEnvironmentVariable(variable, null);
    }
}
