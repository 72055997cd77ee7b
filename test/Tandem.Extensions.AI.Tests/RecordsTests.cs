using Microsoft.Extensions.AI;
using Tandem.Cli.Commands;
using Tandem.Extensions.AI.Tests.Infrastructure;
using Xunit;

namespace Tandem.Extensions.AI.Tests;

/// <summary>The in-process client's records land in the gateway's store, where <c>tandem costs</c> reads them.</summary>
public sealed class RecordsTests
{
    private const string Config = """
        providers:
          - { name: api, base_url: "{sim0}" }
          - { name: gpu, base_url: "{sim1}" }
        deployments:
          - { name: gpt, provider: api, model: gpt-4o-mini-2024-07-18, pricing: { input_per_mtok: 2.00, output_per_mtok: 8.00 } }
          - { name: llama, provider: gpu, model: llama-3.1-8b-instruct, pricing: { input_per_mtok: 0.50, output_per_mtok: 1.50 } }
        routes:
          - { name: chat, deployment: gpt }
          - { name: local, deployment: llama }
        storage: { engine: sqlite, path: records.db }
        """;

    [Fact]
    public async Task Records_OfClientAndHttpDeployments_AreReadByTandemCosts_WithHandComputedSpend()
    {
        await using var api = await Sims.StartAsync("api", o => o.OutputTokens = 20);
        await using var gpu = await Sims.StartAsync("gpu", o => o.OutputTokens = 20);
        using var dir = new TempDir("tandem-inprocess-");
        var path = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(path, GatewayConfigs.Expand(Config, [api.V1, gpu.V1]), Ct);

        // gpt is served by an M.E.AI client; llama has none, so Tandem calls it over HTTP with its own provider adapter.
        var options = new TandemChatClientOptions { ConfigPath = path, Route = "chat", MigrationEvaluation = MigrationEvaluation.Manual, Clients = { ["gpt"] = Sims.Client(api, "gpt-4o-mini-2024-07-18") } };
        var client = (TandemChatClient)new ChatClientBuilder(Sims.Unused).UseTandem(options).Build();
        await using (client)
        {
            // "Hello there" is 11 characters: the simulator bills (11 + 16 + 3) / 4 = 7 prompt tokens, and 20 output tokens.
            for (var i = 0; i < 6; i++)
            {
                var response = await client.GetResponseAsync("Hello there", cancellationToken: Ct);
                Assert.Equal((7L, 20L), (response.Usage!.InputTokenCount, response.Usage.OutputTokenCount));
            }

            for (var i = 0; i < 4; i++)
            {
                var response = await client.GetResponseAsync("Hello there", new ChatOptions { ModelId = "local" }, Ct);
                Assert.Equal((7L, 20L), (response.Usage!.InputTokenCount, response.Usage.OutputTokenCount));
            }
        }

        // Disposed: the records are flushed. By hand: gpt 6 × (7 × $2 + 20 × $8) / 1M = $0.001044; llama 4 × (7 × $0.50 + 20 × $1.50) / 1M = $0.000134.
        var report = await CostsCommand.ComputeAsync(path, "30d", "deployment", null, TimeProvider.System.GetUtcNow(), Ct);

        Assert.Equal(10, report.Requests);
        var gpt = report.Groups.Single(g => g.Name == "gpt");
        var llama = report.Groups.Single(g => g.Name == "llama");
        Assert.Equal((6L, 42L, 120L, 0.001044m), (gpt.Requests, gpt.PromptTokens, gpt.CompletionTokens, gpt.Spend));
        Assert.Equal((4L, 28L, 80L, 0.000134m), (llama.Requests, llama.PromptTokens, llama.CompletionTokens, llama.Spend));
        Assert.Equal(0.001178m, report.Spend);
    }
}
