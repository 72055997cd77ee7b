using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Migration;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>What <c>GET /admin/migrations</c> says of a held migration and of a finished one.</summary>
public sealed class MigrationStatusTests
{
    private const string AdminKey = "admin-key-status-1234";

    private const string Config = """
        auth:
          admin_key_env: TANDEM_STATUS_ADMIN_KEY
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - { name: a, base_url: "{sim0}" }
          - { name: b, base_url: "{sim1}" }
        deployments:
          - { name: gpt-4o-mini, provider: a, model: gpt-4o-mini-2024-07-18 }
          - { name: llama-8b, provider: b, model: llama-3.1-8b-instruct }
        routes:
          - name: held
            deployment: gpt-4o-mini
            migration:
              to: llama-8b
              stage: shadow
              auto: true
              hold_limit: 7d
              gates: { min_samples: 3, min_duration: 0s, min_agreement: 0.9 }
              evaluate_every: 1h
          - name: done
            deployment: gpt-4o-mini
            migration: { to: llama-8b, stage: full, evaluate_every: 1h }
        """;

    [Fact]
    public async Task Status_HeldMigrationSaysByWhichGate_FinishedOneHasNoGatesAndNoRetirementOfWhatItLeft()
    {
        Environment.SetEnvironmentVariable("TANDEM_STATUS_ADMIN_KEY", AdminKey);
        await using var incumbent = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { ["q"] = "card_lost" } }, cancellationToken: Ct);
        await using var candidate = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { ["q"] = "balance" } }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, incumbent, candidate);
        using var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        for (var i = 0; i < 3; i++)
        {
            using var response = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"held","messages":[{"role":"user","content":"q"}]}"""), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await gateway.App.Services.GetRequiredService<MigrationCoordinator>().WaitForShadowsAsync(TimeSpan.FromSeconds(30));
        using (var evaluated = await admin.PostAsync("admin/migrations/held/evaluate", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, evaluated.StatusCode);
            using var doc = JsonDocument.Parse(await evaluated.Content.ReadAsStringAsync(Ct));
            var m = doc.RootElement.GetProperty("migrations")[0];
            Assert.Equal(("shadow", true), (m.GetProperty("stage").GetString(), m.GetProperty("active").GetBoolean()));
            var held = m.GetProperty("held");
            Assert.Equal(["agreement"], held.GetProperty("by").EnumerateArray().Select(g => g.GetString()));
            Assert.Equal("7d", held.GetProperty("hold_limit").GetString());
            Assert.Equal(0.0, m.GetProperty("gates").GetProperty("agreement").GetDouble());
        }

        using (var done = await admin.GetAsync("admin/migrations/done", Ct))
        {
            using var doc = JsonDocument.Parse(await done.Content.ReadAsStringAsync(Ct));
            var m = doc.RootElement.GetProperty("migrations")[0];
            Assert.Equal(("full", false), (m.GetProperty("stage").GetString(), m.GetProperty("active").GetBoolean()));
            Assert.Equal(JsonValueKind.Null, m.GetProperty("gates").ValueKind);
            Assert.Equal(JsonValueKind.Null, m.GetProperty("held").ValueKind);

            // gpt-4o-mini-2024-07-18 retires on 2027-01-14, but the route left it: only llama-8b's lifecycle matters.
            Assert.Equal(0, m.GetProperty("retirements").GetArrayLength());
        }

        var metrics = await gateway.Http.GetStringAsync("metrics", Ct);
        Assert.Contains("tandem_migration_held{otel_scope_name=\"Tandem\",route=\"held\",stage=\"shadow\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("tandem_migration_held{otel_scope_name=\"Tandem\",route=\"done\",stage=\"full\"} 0", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retirement_AnnouncedInTheProvidersModelListing_IsPreferredToTheShippedTable()
    {
        Environment.SetEnvironmentVariable("TANDEM_STATUS_ADMIN_KEY", AdminKey);
        // The shipped table says 2027-01-14 for gpt-4o-mini-2024-07-18; the provider's listing announces an earlier day.
        await using var incumbent = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Models = ["gpt-4o-mini-2024-07-18"],
            ShutdownDates = new Dictionary<string, DateOnly> { ["gpt-4o-mini-2024-07-18"] = new(2026, 12, 20) },
        }, cancellationToken: Ct);
        await using var candidate = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, incumbent, candidate);
        using var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        JsonElement retirement = default;
        await RecordsHelpers.UntilAsync(async () =>
        {
            using var doc = JsonDocument.Parse(await admin.GetStringAsync("admin/migrations/held", Ct));
            retirement = doc.RootElement.GetProperty("migrations")[0].GetProperty("retirements").EnumerateArray().Single().Clone();
            return retirement.GetProperty("retires").GetString() == "2026-12-20";
        }, "the listing's date", Ct);

        Assert.Equal("gpt-4o-mini", retirement.GetProperty("deployment").GetString());
        Assert.StartsWith("a model listing, read ", retirement.GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("Provider a announces that model gpt-4o-mini-2024-07-18 shuts down on 2026-12-20", StringComparison.Ordinal));
    }
}
