using System.Text.Json.Nodes;
using Tandem.Core.Tests.Providers.Aws;
using Tandem.Simulator;
using Tandem.Upstream;
using Xunit;

namespace Tandem.Core.Tests.Providers.Bedrock;

/// <summary>The Bedrock adapter through the upstream seam against the simulator, which verifies each SigV4 signature.</summary>
public sealed class BedrockAdapterTests
{
    private const string Question = "What is the capital of France?";
    private const string Answer = "Paris is the capital of France.";
    private const string WeatherTool = """[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]""";

    private static string Config(SimulatorServer sim, string model = "us.amazon.nova-micro-v1:0") => $$"""
        auth: { disabled: true }
        providers:
          - name: br
            type: bedrock
            base_url: {{sim.BaseAddress.ToString().TrimEnd('/')}}
            aws: { region: us-west-2 }
            timeouts: { connect: 2s, first_byte: 10s, total: 20s, idle: 5s }
        deployments:
          - { name: nova, provider: br, model: "{{model}}", resilience: { retries: 0 } }
        routes:
          - { name: chat, deployment: nova }
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Converse_AnswerAndUsage(bool stream)
    {
        await using var sim = await StartAsync();
        var snapshot = AwsTestSnapshots.Build(Config(sim), AwsTestSnapshots.Simulator, TimeProvider.System);

        using var result = await snapshot.Deployments["nova"].Invoker.SendAsync(AwsTestSnapshots.Chat(
            $$"""{"model":"chat","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"{{Question}}"}]}"""), Ct);

        Assert.True(result.IsSuccess, result.Failure?.Message);
        // The simulator counts ceil(((9 + 16) + (30 + 16)) / 4) = 18 input tokens and one output token per word.
        var text = await AwsTestSnapshots.ReadAllAsync(result);
        if (!stream)
        {
            var answer = JsonNode.Parse(text)!;
            Assert.Equal(Answer, (string?)answer["choices"]![0]!["message"]!["content"]);
            Assert.Equal(("stop", "us.amazon.nova-micro-v1:0"), ((string?)answer["choices"]![0]!["finish_reason"], (string?)answer["model"]));
            Assert.Equal((18, 6), ((int)answer["usage"]!["prompt_tokens"]!, (int)answer["usage"]!["completion_tokens"]!));
            return;
        }

        var events = AwsTestSnapshots.Events(text);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.Equal(Answer, string.Concat(chunks.Where(c => c["choices"]!.AsArray().Count > 0).Select(c => (string?)c["choices"]![0]!["delta"]!["content"])));
        Assert.Equal((18, 6), ((int)chunks[^1]["usage"]!["prompt_tokens"]!, (int)chunks[^1]["usage"]!["completion_tokens"]!));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ToolCall_RoundTrip_CallThenAnswerFromTheResult(bool stream)
    {
        await using var sim = await StartAsync();
        var snapshot = AwsTestSnapshots.Build(Config(sim), AwsTestSnapshots.Simulator, TimeProvider.System);
        var first = $$"""{"model":"chat","stream":{{(stream ? "true" : "false")}},"tools":{{WeatherTool}},"messages":[{"role":"user","content":"Weather in Paris?"}]}""";

        using var call = await snapshot.Deployments["nova"].Invoker.SendAsync(AwsTestSnapshots.Chat(first), Ct);

        Assert.True(call.IsSuccess, call.Failure?.Message);
        var (id, name, arguments, finish) = ToolCallOf(await AwsTestSnapshots.ReadAllAsync(call), stream);
        Assert.Equal(("get_weather", """{"city":"simulated"}""", "tool_calls"), (name, arguments, finish));
        Assert.StartsWith("tooluse_", id, StringComparison.Ordinal);

        var second = $$$"""
            {"model":"chat","tools":{{{WeatherTool}}},"messages":[{"role":"user","content":"Weather in Paris?"},
             {"role":"assistant","content":null,"tool_calls":[{"id":"{{{id}}}","type":"function","function":{"name":"get_weather","arguments":{{{JsonValue.Create(arguments).ToJsonString()}}}}}]},
             {"role":"tool","tool_call_id":"{{{id}}}","content":"22 C"}]}
            """;
        using var answer = await snapshot.Deployments["nova"].Invoker.SendAsync(AwsTestSnapshots.Chat(second), Ct);

        Assert.True(answer.IsSuccess, answer.Failure?.Message);
        Assert.Equal("The tool returned its result, and here is the answer based on it.", (string?)JsonNode.Parse(await AwsTestSnapshots.ReadAllAsync(answer))!["choices"]![0]!["message"]!["content"]);
    }

    [Fact]
    public async Task Throttled_IsRateLimitedWithRetryAfter_AndUnavailableIsAServerError()
    {
        await using var sim = await StartAsync();
        sim.Options.RetryAfterSeconds = 7;
        var snapshot = AwsTestSnapshots.Build(Config(sim), AwsTestSnapshots.Simulator, TimeProvider.System);
        var body = $$"""{"model":"chat","messages":[{"role":"user","content":"{{Question}}"}]}""";

        sim.Options.Faults = [new Fault(FaultKind.Status429, 1)];
        using (var throttled = await snapshot.Deployments["nova"].Invoker.SendAsync(AwsTestSnapshots.Chat(body), Ct))
        {
            Assert.Equal((FailureKind.RateLimited, 429, TimeSpan.FromSeconds(7)), (throttled.Failure!.Kind, throttled.Failure.Status, throttled.Failure.RetryAfter));
        }

        sim.Options.Faults = [new Fault(FaultKind.Status503, 1)];
        using var unavailable = await snapshot.Deployments["nova"].Invoker.SendAsync(AwsTestSnapshots.Chat(body), Ct);
        Assert.Equal((FailureKind.ServerError, 502, 503), (unavailable.Failure!.Kind, unavailable.Failure.Status, unavailable.Failure.UpstreamStatus));
        Assert.Equal("Deployment 'nova' failed with HTTP 503: The service is currently unavailable. (simulated)", unavailable.Failure.Message);
    }

    [Fact]
    public async Task UnknownModel_IsTheRecordedValidationError_RelayedAsTheRequestsFault()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Models = ["us.amazon.nova-micro-v1:0"] }, cancellationToken: Ct);
        var snapshot = AwsTestSnapshots.Build(Config(sim, "us.does-not-exist-model-v1:0"), AwsTestSnapshots.Simulator, TimeProvider.System);

        using var result = await snapshot.Deployments["nova"].Invoker.SendAsync(AwsTestSnapshots.Chat("""{"model":"chat","messages":[{"role":"user","content":"hello"}]}"""), Ct);

        // The message pydantic-ai recorded from the real service (test_bedrock_error).
        Assert.Equal((string?)Cassette.ResponseBody("test_bedrock_error")["message"], result.Failure!.Message);
        Assert.Equal((FailureKind.ClientError, 400), (result.Failure.Kind, result.Failure.Status));
    }

    [Fact]
    public async Task SessionCredentials_TheSimulatorRequiresTheSignedToken()
    {
        await using var sim = await StartAsync();
        sim.Aws.Credentials = new Dictionary<string, (string, string?)> { ["ASIATEMP"] = ("temp-secret", "temp-token") };
        var body = $$"""{"model":"chat","messages":[{"role":"user","content":"{{Question}}"}]}""";

        var withToken = AwsTestSnapshots.Build(Config(sim), new Tandem.Providers.Aws.AwsCredentials("ASIATEMP", "temp-secret", "temp-token"), TimeProvider.System);
        using (var ok = await withToken.Deployments["nova"].Invoker.SendAsync(AwsTestSnapshots.Chat(body), Ct))
        {
            Assert.True(ok.IsSuccess, ok.Failure?.Message);
        }

        var withoutToken = AwsTestSnapshots.Build(Config(sim), new Tandem.Providers.Aws.AwsCredentials("ASIATEMP", "temp-secret"), TimeProvider.System);
        using var refused = await withoutToken.Deployments["nova"].Invoker.SendAsync(AwsTestSnapshots.Chat(body), Ct);
        Assert.Equal((FailureKind.Rejected, 403), (refused.Failure!.Kind, refused.Failure.UpstreamStatus));
    }

    private static (string Id, string Name, string Arguments, string Finish) ToolCallOf(string text, bool stream)
    {
        if (!stream)
        {
            var choice = JsonNode.Parse(text)!["choices"]![0]!;
            var call = choice["message"]!["tool_calls"]![0]!;
            return ((string)call["id"]!, (string)call["function"]!["name"]!, (string)call["function"]!["arguments"]!, (string)choice["finish_reason"]!);
        }

        var deltas = AwsTestSnapshots.Events(text)[..^1].Select(e => JsonNode.Parse(e)!).Where(c => c["choices"]!.AsArray().Count > 0).Select(c => c["choices"]![0]!).ToList();
        var calls = deltas.SelectMany(d => d["delta"]!["tool_calls"]?.AsArray() ?? []).ToList();
        return ((string)calls[0]!["id"]!, (string)calls[0]!["function"]!["name"]!, string.Concat(calls.Select(c => (string?)c!["function"]!["arguments"])),
            deltas.Select(d => (string?)d["finish_reason"]).Single(f => f is not null)!);
    }

    private static Task<SimulatorServer> StartAsync() =>
        SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { [Question] = Answer } });
}
