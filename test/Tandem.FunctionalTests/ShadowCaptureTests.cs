using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Migration;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>Shadow samples keep answers as the route keeps content in its records: not at all, masked, or whole.</summary>
public sealed class ShadowCaptureTests
{
    private static string Config(string capture) => $$"""
        auth:
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - { name: a, base_url: "{sim0}" }
          - { name: b, base_url: "{sim1}" }
        deployments:
          - { name: incumbent, provider: a, model: gpt-4o-mini }
          - { name: candidate, provider: b, model: llama }
        routes:
          - name: support
            deployment: incumbent
            capture: {{capture}}
            migration: { to: candidate, stage: shadow, auto: false, compare: { kind: text }, evaluate_every: 1h }
        """;

    [Theory]
    [InlineData("off", null, null)]
    [InlineData("redacted", "Write to [email] today.", "Mail [email] please.")]
    [InlineData("full", "Write to help@example.com today.", "Mail help@example.com please.")]
    public async Task ShadowSample_Answers_FollowTheRoutesCapture(string capture, string? incumbentStored, string? candidateStored)
    {
        const string question = "How do I reach support?";
        await using var incumbent = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { [question] = "Write to help@example.com today." } }, cancellationToken: Ct);
        await using var candidate = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { [question] = "Mail help@example.com please." } }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config(capture), incumbent, candidate);

        using (var response = await gateway.Http.PostAsync("v1/chat/completions", Json($$"""{"model":"support","messages":[{"role":"user","content":"{{question}}"}]}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var coordinator = gateway.App.Services.GetRequiredService<MigrationCoordinator>();
        await coordinator.WaitForShadowsAsync(TimeSpan.FromSeconds(30));
        var sample = (await gateway.App.Services.GetRequiredService<IMigrationStore>().SamplesAsync("support", DateTimeOffset.UnixEpoch, Ct)).Single();

        Assert.Equal((incumbentStored, candidateStored), (sample.IncumbentAnswer, sample.CandidateAnswer));
        // The comparison is made on the answers as they were, whatever is stored.
        Assert.NotNull(sample.Similarity);
        Assert.Null(sample.CandidateError);
    }
}
