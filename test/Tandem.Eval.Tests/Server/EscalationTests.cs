using System.Text;
using System.Text.Json.Nodes;
using Tandem.Configuration;
using Tandem.Eval.Tests.Infrastructure;
using Tandem.Quality;
using Tandem.Runtime;
using Tandem.Simulator;
using Tandem.Upstream;
using Tandem.Wire;
using Xunit;

namespace Tandem.Eval.Tests.Server;

/// <summary>Route escalation (Core's <see cref="Escalator"/>) against real simulators over HTTP.</summary>
public sealed class EscalationTests : IAsyncLifetime
{
    private const string Config = """
        auth:
          disabled: true
        providers:
          - name: cheap-sim
            base_url: {sim0}
          - name: judge-sim
            base_url: {sim1}
          - name: strong-sim
            base_url: {sim2}
        deployments:
          - name: llama-8b
            provider: cheap-sim
            model: llama-3.1-8b-instruct
          - name: judge
            provider: judge-sim
            model: gpt-4o-2024-08-06
          - name: gpt-4o
            provider: strong-sim
            model: gpt-4o-2024-08-06
        routes:
          - name: support
            deployment: llama-8b
            escalation: { judge: judge, to: gpt-4o, below: 3, rubric: "Refund questions must cite the 30-day policy." }
          - name: support-lenient
            deployment: llama-8b
            escalation: { judge: judge, to: gpt-4o, below: 3, on_judge_failure: escalate }
          - name: plain
            deployment: llama-8b
        """;

    private SimulatorServer _cheap = null!;
    private SimulatorServer _judge = null!;
    private SimulatorServer _strong = null!;
    private GatewaySnapshot _snapshot = null!;

    public async ValueTask InitializeAsync()
    {
        _cheap = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Answers = new Dictionary<string, string>
            {
                ["Can I get a refund?"] = "Maybe, ask someone.",
                ["Where is my parcel?"] = "It ships within 2 days; track it under Orders.",
                ["Do you ship abroad?"] = "We ship to 40 countries.",
            },
        }, cancellationToken: TestEnv.Ct);
        _judge = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            RecordRequests = 20,
            JudgeScript =
            [
                new ScriptedReply("[Answer to grade]\nMaybe, ask someone.", "{\"score\": 1, \"reasons\": \"no policy cited\"}"),
                new ScriptedReply("[Answer to grade]\nIt ships", "```json\n{\"score\": 4, \"reasons\": \"helpful\"}\n```"),
                new ScriptedReply("[Answer to grade]\nWe ship", "This answer is quite good, I'd say a four."),
            ],
        }, cancellationToken: TestEnv.Ct);
        _strong = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            RecordRequests = 20,
            Answers = new Dictionary<string, string> { ["Can I get a refund?"] = "Yes: within 30 days of delivery, under our refund policy." },
        }, cancellationToken: TestEnv.Ct);
        _snapshot = TestEnv.Snapshot(Config, _cheap, _judge, _strong);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _snapshot.Providers.Values)
        {
            p.Dispose();
        }

        await _cheap.DisposeAsync();
        await _judge.DisposeAsync();
        await _strong.DisposeAsync();
    }

    private Task<EscalationResult> EvaluateAsync(string route, byte[] body, byte[] served) =>
        _snapshot.Routes[route].Escalator!.EvaluateAsync(UpstreamRequest.Parse(ApiOperation.ChatCompletions, body, UpstreamPurpose.Client), served, TestEnv.Ct);

    private static byte[] Request(string route, string question, bool stream = false) =>
        Encoding.UTF8.GetBytes($$"""{"model":"{{route}}","stream":{{(stream ? "true" : "false")}},"temperature":0.2,"messages":[{"role":"user","content":"{{question}}"}]}""");

    /// <summary>What the proxy would have received from the route's deployment.</summary>
    private async Task<byte[]> ServedAsync(byte[] body)
    {
        var reply = await _snapshot.Deployments["llama-8b"].Invoker.CompleteChatAsync(body, UpstreamPurpose.Client, TestEnv.Ct);
        Assert.True(reply.IsSuccess, reply.Error);
        return reply.Body;
    }

    [Fact]
    public async Task EvaluateAsync_LowScore_ServesStrongerDeploymentsAnswer()
    {
        var body = Request("support", "Can I get a refund?");
        var served = await ServedAsync(body);

        var result = await EvaluateAsync("support", body, served);

        Assert.True(result.Escalated, result.Reason);
        Assert.Equal("score 1 < 3", result.Reason);
        Assert.Equal(1, result.Judgement!.Score);
        Assert.Equal("gpt-4o", result.Target!.Name);
        Assert.Equal(200, result.Reply!.Status);
        var answer = JsonNode.Parse(result.Reply.Body)!;
        Assert.Equal("Yes: within 30 days of delivery, under our refund policy.", (string?)answer["choices"]![0]!["message"]!["content"]);
        Assert.Equal("gpt-4o-2024-08-06", result.Reply.Facts.Model);
        Assert.NotNull(result.Reply.Facts.Usage);

        // The stronger deployment got the client's request unchanged except for the model.
        var sent = JsonNode.Parse(_strong.Stats.Recent.Single().Body)!;
        Assert.Equal("gpt-4o-2024-08-06", (string?)sent["model"]);
        Assert.Equal(0.2, (double)sent["temperature"]!);

        // The judge saw the conversation, the cheap answer and the route's rubric.
        var judged = (string)JsonNode.Parse(_judge.Stats.Recent.Single().Body)!["messages"]![1]!["content"]!;
        Assert.Contains("user: Can I get a refund?", judged, StringComparison.Ordinal);
        Assert.Contains("30-day policy", judged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateAsync_GoodScore_Keeps()
    {
        var body = Request("support", "Where is my parcel?");
        var result = await EvaluateAsync("support", body, await ServedAsync(body));

        Assert.False(result.Escalated);
        Assert.Equal("score 4 >= 3", result.Reason);
        Assert.Null(result.Reply);
        Assert.Empty(_strong.Stats.Recent);
    }

    [Fact]
    public async Task EvaluateAsync_MalformedVerdict_KeepsByDefault_EscalatesWhenConfigured()
    {
        var body = Request("support", "Do you ship abroad?");
        var served = await ServedAsync(body);

        var kept = await EvaluateAsync("support", body, served);
        Assert.False(kept.Escalated);
        Assert.Equal("judge verdict unparseable: keep", kept.Reason);
        Assert.Equal(JudgeOutcome.Unparseable, kept.Judgement!.Outcome);

        var lenient = Request("support-lenient", "Do you ship abroad?");
        var escalated = await EvaluateAsync("support-lenient", lenient, served);
        Assert.True(escalated.Escalated);
        Assert.Equal("judge verdict unparseable: escalate", escalated.Reason);
        Assert.Equal("gpt-4o", escalated.Target!.Name);
    }

    [Fact]
    public async Task EvaluateAsync_StrongerDeploymentFails_KeepsCheapAnswer()
    {
        _strong.Options.Faults = [new Fault(FaultKind.Status503, 1)];
        var body = Request("support", "Can I get a refund?");

        var result = await EvaluateAsync("support", body, await ServedAsync(body));

        Assert.False(result.Escalated);
        Assert.Equal("score 1 < 3; 'gpt-4o' failed (503): keep", result.Reason);
    }

    [Fact]
    public async Task EvaluateAsync_StreamingRequest_KeepsWithoutJudging()
    {
        var body = Request("support", "Can I get a refund?", stream: true);

        var result = await EvaluateAsync("support", body, "{}"u8.ToArray());

        Assert.False(result.Escalated);
        Assert.Empty(_judge.Stats.Recent);
    }

    [Fact]
    public void AppliesTo_OnlyNonStreamingChatOnEscalatingRoutes()
    {
        var chat = ApiRequest.Parse(Request("support", "q"), ApiOperation.ChatCompletions, out _)!;
        var stream = ApiRequest.Parse(Request("support", "q", stream: true), ApiOperation.ChatCompletions, out _)!;

        Assert.True(Escalator.AppliesTo(ApiOperation.ChatCompletions, chat));
        Assert.False(Escalator.AppliesTo(ApiOperation.ChatCompletions, stream));
        Assert.False(Escalator.AppliesTo(ApiOperation.Completions, chat));
        Assert.NotNull(_snapshot.Routes["support"].Escalator);
        Assert.Null(_snapshot.Routes["plain"].Escalator);
    }

    [Fact]
    public void Config_Escalation_ValidatedWithPaths()
    {
        const string yaml = """
            auth: { disabled: true }
            providers: [{ name: p, base_url: "http://127.0.0.1:1/v1" }]
            deployments:
              - { name: a, provider: p, model: m }
              - { name: b, provider: p, model: m, pricing: { input_per_mtok: -1, output_per_mtok: 1 } }
            routes:
              - { name: r1, deployment: a, escalation: { judge: nosuch, to: a, below: 6 } }
              - { name: r2, deployment: a, escalation: { judge: b, to: other, below: 1, on_judge_failure: maybe } }
              - { name: r3, deployment: a, escalation: { to: b } }
            """;
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml));
        Assert.Equal(
            [
                "deployments[1].pricing.input_per_mtok: must be ≥ 0",
                "routes[0].escalation.judge: unknown deployment 'nosuch'",
                "routes[0].escalation.to: 'a' already serves the route; escalate to a different deployment",
                "routes[0].escalation.below: must be greater than 1 and at most 5 (judge scores run from 1 to 5)",
                "routes[1].escalation.to: unknown deployment 'other'",
                "routes[1].escalation.below: must be greater than 1 and at most 5 (judge scores run from 1 to 5)",
                "routes[1].escalation.on_judge_failure: expected 'keep' or 'escalate'",
                "routes[2].escalation.judge: required",
            ],
            e.Errors);

        var ok = ConfigLoader.Parse(yaml
            .Replace("pricing: { input_per_mtok: -1", "pricing: { input_per_mtok: 3", StringComparison.Ordinal)
            .Replace("judge: nosuch, to: a, below: 6", "judge: b, to: b, below: 3.5", StringComparison.Ordinal)
            .Replace("to: other, below: 1, on_judge_failure: maybe", "to: b, on_judge_failure: escalate", StringComparison.Ordinal)
            .Replace("{ to: b }", "{ judge: a, to: b }", StringComparison.Ordinal));
        Assert.Equal(3.5, ok.Routes[0].Escalation!.Below);
        Assert.Equal(3, ok.Routes[1].Escalation!.Below);
        Assert.Equal(EscalationFailureModes.Keep, ok.Routes[2].Escalation!.OnJudgeFailure);
        Assert.Equal(3m, ok.Deployments[1].Pricing!.InputPerMtok);
    }
}
