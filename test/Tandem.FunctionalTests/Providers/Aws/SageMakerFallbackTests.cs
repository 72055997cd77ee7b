using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests.Providers.Aws;

/// <summary>
/// Fallback across protocols: from an Anthropic deployment (Messages API) to a SageMaker one (SigV4, event streams) and
/// back, with the simulator speaking each protocol.
/// </summary>
public sealed class SageMakerFallbackTests
{
    private const string Question = "What is the capital of France?";
    private const string Answer = "Paris is the capital of France.";

    private static string Config(SimulatorServer proprietary, SimulatorServer sagemaker, TempDir dir) =>
        "auth:\n  keys:\n    - name: test\n      key: " + TestGateway.Key + "\n"
        + "providers:\n"
        + $"  - name: proprietary\n    type: anthropic\n    base_url: {proprietary.V1.ToString().TrimEnd('/')}\n"
        + AwsConformanceUpstream.Yaml("sagemaker-host", "sagemaker", sagemaker, dir)
        + "deployments:\n"
        + "  - { name: claude, provider: proprietary, model: claude-sonnet, resilience: { retries: 0 } }\n"
        + "  - { name: llama, provider: sagemaker-host, model: llama-3-1-8b-endpoint, resilience: { retries: 0 } }\n"
        + "routes:\n"
        + "  - { name: assistant, deployment: claude, fallbacks: [llama] }\n"
        + "  - { name: assistant-selfhosted, deployment: llama, fallbacks: [claude] }\n";

    [Theory]
    [InlineData("assistant", false, "route assistant -> claude; fallback: claude 529 -> llama", "llama")]
    [InlineData("assistant", true, "route assistant -> claude; fallback: claude 529 -> llama", "llama")]
    [InlineData("assistant-selfhosted", false, "route assistant-selfhosted -> llama; fallback: llama 424 -> claude", "claude")]
    [InlineData("assistant-selfhosted", true, "route assistant-selfhosted -> llama; fallback: llama 424 -> claude", "claude")]
    public async Task FailingFirstDeployment_FallsBackAcrossProtocols(string route, bool stream, string decision, string served)
    {
        var answers = new Dictionary<string, string> { [Question] = Answer };
        await using var proprietary = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers }, cancellationToken: Ct);
        await using var sagemaker = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers }, cancellationToken: Ct);
        using var dir = new TempDir();
        await File.WriteAllTextAsync(dir.File("credentials"),
            $"[simulator]\naws_access_key_id = {AwsSimulatorOptions.ExampleAccessKeyId}\naws_secret_access_key = {AwsSimulatorOptions.ExampleSecretAccessKey}\n", Ct);
        // Anthropic is overloaded (529, as it answers the simulator's 503 fault); the SageMaker container fails
        // (ModelError 424 carrying its 500).
        (route == "assistant" ? proprietary : sagemaker).Options.Faults = [new Fault(route == "assistant" ? FaultKind.Status503 : FaultKind.Status500, 1)];
        await using var gateway = await TestGateway.StartAsync(Config(proprietary, sagemaker, dir), static o => o, []);

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = Json($$"""{"model":"{{route}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"{{Question}}"}]}"""),
        };
        request.Headers.Add("x-request-id", "fallback-1");
        using var response = await gateway.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(served, response.Headers.GetValues("x-tandem-deployment").Single());
        Assert.Equal(decision, response.Headers.GetValues("x-tandem-decision").Single());
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(Answer, stream ? StreamedText(text) : (string?)JsonNode.Parse(text)!["choices"]![0]!["message"]!["content"]);
        Assert.Equal((1, 1), ((int)proprietary.Stats.Received, (int)sagemaker.Stats.Received));
        var record = await gateway.RecordAsync("fallback-1", Ct);
        Assert.Equal((200, served), (record.Status, record.Deployment));
        // Both simulators count ceil((30 + 16) / 4) = 12 prompt and 6 completion tokens.
        Assert.Equal((12, 6), (record.PromptTokens, record.CompletionTokens));
    }

    private static string StreamedText(string sse)
    {
        var text = new System.Text.StringBuilder();
        foreach (var line in sse.Split('\n'))
        {
            if (line.StartsWith("data: {", StringComparison.Ordinal))
            {
                using var chunk = JsonDocument.Parse(line[6..]);
                var choices = chunk.RootElement.GetProperty("choices");
                if (choices.GetArrayLength() > 0 && choices[0].GetProperty("delta").TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
                {
                    text.Append(c.GetString());
                }
            }
        }

        return text.ToString();
    }
}
