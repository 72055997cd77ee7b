using System.Net;
using System.Text.Json;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Quality;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

public sealed class EscalationGatewayTests
{
    private const string Config = """
        auth: { keys: [ { name: test, key: sk-test-key-123456 } ] }
        providers:
          - { name: cheap, base_url: "{sim0}" }
          - { name: strong, base_url: "{sim1}" }
          - { name: judge, base_url: "{sim2}" }
        deployments:
          - { name: llama-8b, provider: cheap, model: llama-8b }
          - { name: gpt-4o, provider: strong, model: gpt-4o }
          - { name: judge, provider: judge, model: gpt-4o-mini }
        routes:
          - name: support
            deployment: llama-8b
            escalation: { judge: judge, to: gpt-4o, below: 3 }
        """;

    [Fact]
    public async Task LowScoredAnswer_IsReplacedByTheStrongDeployment_HighScoredOneIsKept()
    {
        var answers = new Dictionary<string, string> { ["what is the capital of france"] = "Lyon", ["what is 2+2"] = "4" };
        await using var cheap = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers }, cancellationToken: Ct);
        await using var strong = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { ["what is the capital of france"] = "Paris" } }, cancellationToken: Ct);
        await using var judge = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            JudgeScript =
            [
                new ScriptedReply(JudgePrompts.AnswerMarker + "\nLyon", "{\"score\": 1, \"reasons\": \"wrong capital\"}"),
                new ScriptedReply(JudgePrompts.AnswerMarker + "\n4", "{\"score\": 5, \"reasons\": \"correct\"}"),
            ],
        }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, cheap, strong, judge);

        ChatCompletion escalated = await gateway.Chat("support").CompleteChatAsync([new UserChatMessage("what is the capital of france")], cancellationToken: Ct);
        Assert.Equal("Paris", escalated.Content[0].Text);

        using var raw = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"support","messages":[{"role":"user","content":"what is the capital of france"}]}"""), Ct);
        Assert.Equal("escalated", raw.Headers.GetValues("x-tandem-escalation").Single());
        Assert.Equal("gpt-4o", raw.Headers.GetValues("x-tandem-deployment").Single());
        Assert.Contains("escalated: llama-8b", raw.Headers.GetValues("x-tandem-decision").Single(), StringComparison.Ordinal);

        ChatCompletion kept = await gateway.Chat("support").CompleteChatAsync([new UserChatMessage("what is 2+2")], cancellationToken: Ct);
        Assert.Equal("4", kept.Content[0].Text);
        Assert.Equal(2, strong.Stats.Completed);
        Assert.Equal(3, judge.Stats.Completed);

        // Streams are not escalated (the answer would already be on its way).
        var text = new System.Text.StringBuilder();
        await foreach (var u in gateway.Chat("support").CompleteChatStreamingAsync([new UserChatMessage("what is the capital of france")], cancellationToken: Ct))
        {
            foreach (var p in u.ContentUpdate)
            {
                text.Append(p.Text);
            }
        }

        Assert.Equal("Lyon", text.ToString());
        Assert.Equal(3, judge.Stats.Completed);
    }
}
