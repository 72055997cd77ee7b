using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.AI;
using Tandem.Extensions.AI.Tests.Infrastructure;
using Tandem.Migration;
using Tandem.Server;
using Xunit;

namespace Tandem.Extensions.AI.Tests;

/// <summary>A gateway and an in-process client on one database run one migration: both shadow, either evaluates, both follow.</summary>
public sealed class SharedMigrationTests
{
    private const string Key = "sk-shared-key-123456";

    [Fact]
    public async Task GatewayAndInProcessClient_OneDatabase_ShareOneMigration()
    {
        var (incumbent, candidate, rows) = await MigrationTests.SimulatorsAsync(0.93);
        await using var _ = incumbent;
        await using var __ = candidate;
        using var dir = new TempDir("tandem-shared-");
        var path = dir.File("tandem.yaml");
        var yaml = "auth:\n  keys: [ { name: app, key: " + Key + " } ]\n" + MigrationTests.Config("shadow");
        await File.WriteAllTextAsync(path, GatewayConfigs.Expand(yaml, [incumbent.V1, candidate.V1]), Ct);
        await using var gateway = GatewayApp.Create(new GatewayAppOptions { ConfigPath = path, Urls = "http://127.0.0.1:0", WatchConfig = false });
        await gateway.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        await using var client = (TandemChatClient)new ChatClientBuilder(Sims.Unused).UseTandem(MigrationTests.Options(path, incumbent, candidate)).Build();

        // 60 requests through the gateway, 60 calls in process: each is shadowed by whichever served it.
        for (var i = 0; i < 60; i++)
        {
            using var response = await http.PostAsJsonAsync("v1/chat/completions", new { model = "intent", user = "user-" + i, messages = new[] { new { role = "user", content = rows[i].Text } } }, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await MigrationTests.SendAsync(client, rows, 60, 60);
        var gatewayMigrations = (MigrationCoordinator)gateway.Services.GetService(typeof(MigrationCoordinator))!;
        await gatewayMigrations.WaitForShadowsAsync(TimeSpan.FromSeconds(60));
        await client.WaitForShadowsAsync(TimeSpan.FromSeconds(60));
        Assert.Equal((120, 120), (incumbent.Stats.Completed, candidate.Stats.Completed));

        // The in-process client evaluates: its gates see the samples of both, and it advances the one migration.
        var report = (await client.EvaluateMigrationsAsync("intent", Ct))["intent"];
        Assert.Equal(120, report.Compared);
        Assert.Equal(await MigrationTests.ExpectedAgreementAsync(incumbent, candidate, rows.Take(120).Select(r => r.Text)), report.Agreement!.Value, 6);
        Assert.Equal(MigrationStage.Canary, client.Migrations!.States["intent"].Stage);

        // The gateway reads the stored state on its next sync and serves the canary stage.
        await gatewayMigrations.SyncWithConfigAsync(Ct);
        var state = gatewayMigrations.States["intent"];
        Assert.Equal((MigrationStage.Canary, 0), (state.Stage, state.CanaryStep));
        using var decided = await http.PostAsJsonAsync("v1/chat/completions", new { model = "intent", user = "user-x", messages = new[] { new { role = "user", content = rows[0].Text } } }, Ct);
        Assert.Contains("migration canary 5%", decided.Headers.GetValues("x-tandem-decision").Single(), StringComparison.Ordinal);
    }
}
