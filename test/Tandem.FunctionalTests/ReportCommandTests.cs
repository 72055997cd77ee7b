using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using Tandem.Cli.Commands;
using Tandem.Eval.Reports.Decision;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Migration;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary><c>tandem report decision</c> and <c>tandem report migration</c> over a gateway's real records.</summary>
public sealed class ReportCommandTests
{
    private const string Config = """
        auth:
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - { name: a, base_url: "{sim0}" }
          - { name: b, base_url: "{sim1}" }
        deployments:
          - { name: gpt, provider: a, model: gpt-4o-mini, pricing: { input_per_mtok: 2.00, output_per_mtok: 8.00 } }
          - { name: llama, provider: b, model: llama-3.1-8b-instruct, pricing: { fixed_monthly: 3000, capacity_tokens_per_second: 100 } }
        routes:
          - name: chat
            deployment: gpt
            capture: redacted
            migration: { to: llama, stage: shadow, auto: false, evaluate_every: 1h }
        """;

    [Fact]
    public async Task Reports_SixRequests_MeasureTrafficAndStagesFromTheRecords()
    {
        await using var api = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 20 }, cancellationToken: Ct);
        await using var gpu = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 20 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, api, gpu);

        // "Hello there": 7 prompt tokens and 20 output tokens a request (see CostsTests).
        for (var i = 0; i < 6; i++)
        {
            ChatCompletion c = await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("Hello there")], cancellationToken: Ct);
            Assert.Equal((7, 20), (c.Usage.InputTokenCount, c.Usage.OutputTokenCount));
        }

        await gateway.WaitForRecordsAsync(6, Ct);
        using var dir = new TempDir("tandem-report-");
        var answers = dir.File("answers.json");
        await File.WriteAllTextAsync(answers, """{ "model_size": "8b", "quantisation": "fp16", "gpu_hourly_usd": { "L4": 0.80 }, "ops_monthly_usd": 500 }""", Ct);
        var now = TimeProvider.System.GetUtcNow();

        var decision = await ReportCommand.DecisionAsync(gateway.ConfigPath, answers, "1d", now, Ct);
        var t = decision.Traffic;
        // 6 × (7 × $2 + 20 × $8) / 1M = $0.001044 of token-priced spend; each request's context is 27 tokens.
        Assert.Equal((6L, 42L, 120L, 0.001044m, 27), (t.Requests, t.PromptTokens, t.CompletionTokens, t.ApiSpend, t.P95ContextTokens));
        // The busiest minute holds whole requests of 27 tokens: all six, or part of them when a minute boundary fell between.
        var peakTokens = (int)Math.Round(t.PeakTokensPerSecond * 60);
        Assert.True(peakTokens % 27 == 0 && peakTokens is >= 81 and <= 162, $"peak minute tokens {peakTokens}");
        Assert.Equal(["chat"], t.SensitiveRoutes);
        // $1,084 a month (1 L4 + operations) against an API bill of cents: stay.
        Assert.Equal(Recommendation.Stay, decision.Recommendation);
        Assert.Equal(1084.00m, decision.Observed.SelfHostMonthly);

        await gateway.App.Services.GetRequiredService<MigrationCoordinator>().CommandAsync("chat", "rollback", Ct);
        var migration = await MigrationReportCommand.BuildAsync(gateway.ConfigPath, "chat", "1d", TimeProvider.System.GetUtcNow(), Ct);
        Assert.Equal(("gpt", 6L, 0.174m), (migration.Before.Deployment, migration.Before.Requests, migration.Before.CostPerThousand!.Value));
        Assert.Equal("llama", migration.After.Deployment);
        Assert.Equal("rolled back", migration.Stage);
        Assert.Equal(["shadow", "manual"], [migration.Stages[0].Stage, migration.Stages[^1].Trigger]);
        Assert.Equal(2, migration.Stages.Count);

        var missing = await Assert.ThrowsAsync<ArgumentException>(() => MigrationReportCommand.BuildAsync(gateway.ConfigPath, "nowhere", "1d", now, Ct));
        Assert.Equal("route 'nowhere' has no migration in this database", missing.Message);
    }
}
