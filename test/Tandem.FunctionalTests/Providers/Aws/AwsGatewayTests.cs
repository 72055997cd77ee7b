using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests.Providers.Aws;

/// <summary>
/// SageMaker and Bedrock deployments behind a real gateway, through the official OpenAI .NET SDK: tool calls whole
/// and streamed, a field the provider cannot take refused with a 400 naming it, and missing credentials.
/// </summary>
public sealed class AwsGatewayTests
{
    private static string Config(string providerYaml, string deploymentExtra = "") =>
        "auth:\n  keys:\n    - name: test\n      key: " + TestGateway.Key + "\n"
        + "providers:\n" + providerYaml
        + "deployments:\n  - name: aws\n    provider: aws-host\n    model: llama-3-1-8b\n    resilience: { retries: 0 }\n" + deploymentExtra
        + "routes:\n  - name: chat\n    deployment: aws\n";

    private static ChatTool WeatherTool => ChatTool.CreateFunctionTool("get_weather", "Weather for a city",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}"""));

    [Theory]
    [InlineData("sagemaker")]
    [InlineData("bedrock")]
    public async Task ToolCalls_RoundTripThroughOpenAiSdk(string type)
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        using var dir = new TempDir();
        await using var gateway = await StartAsync(sim, type, dir);
        var options = new ChatCompletionOptions { Tools = { WeatherTool } };
        List<ChatMessage> messages = [new UserChatMessage("Weather in Paris?")];
        var chat = gateway.Chat("chat");

        ChatCompletion first = await chat.CompleteChatAsync(messages, options, Ct);
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("""{"city":"simulated","days":1}""", call.FunctionArguments.ToString());

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, """{"temperature_c":18}"""));
        ChatCompletion second = await chat.CompleteChatAsync(messages, options, Ct);
        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.Equal("The tool returned its result, and here is the answer based on it.", second.Content[0].Text);
        Assert.Equal(0, sim.Stats.Rejected);
    }

    [Theory]
    [InlineData("sagemaker")]
    [InlineData("bedrock")]
    public async Task StreamingToolCalls_ThroughOpenAiSdk_AssembleArguments(string type)
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        using var dir = new TempDir();
        await using var gateway = await StartAsync(sim, type, dir);
        var args = new StringBuilder();
        string? name = null;
        string? id = null;
        ChatFinishReason? finish = null;

        await foreach (var update in gateway.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("Weather in Paris?")], new ChatCompletionOptions { Tools = { WeatherTool } }, Ct))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                name ??= part.FunctionName;
                id ??= part.ToolCallId;
                args.Append(part.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(("get_weather", """{"city":"simulated","days":1}""", ChatFinishReason.ToolCalls), (name, args.ToString(), finish));
        Assert.False(string.IsNullOrEmpty(id));
    }

    [Fact]
    public async Task Bedrock_FieldConverseCannotTake_Is400NamingIt_BeforeAnyCall()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        using var dir = new TempDir();
        await using var gateway = await StartAsync(sim, "bedrock", dir);

        using var response = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","n":2,"messages":[{"role":"user","content":"hi"}]}"""), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["error"]!;
        Assert.Equal(("n", "unsupported_parameter"), ((string?)error["param"], (string?)error["code"]));
        Assert.Equal("Unsupported parameter: 'n' cannot be expressed for deployment 'aws', which speaks Amazon Bedrock's Converse API.", (string?)error["message"]);
        Assert.Equal(0, sim.Stats.Received);
    }

    [Fact]
    public async Task SageMakerTgi_ToolsCannotBeSent_Is400NamingThem()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        using var dir = new TempDir();
        await using var gateway = await StartAsync(sim, "sagemaker", dir, "    sagemaker: { payload: tgi, chat_template: llama3 }\n");

        var e = await Assert.ThrowsAsync<ClientResultException>(() => gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { Tools = { WeatherTool } }, Ct));

        Assert.Equal(400, e.Status);
        Assert.Contains("Unsupported parameter: 'tools' cannot be expressed for deployment 'aws'", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, sim.Stats.Received);
    }

    [Fact]
    public async Task MissingCredentials_Are502_AndNothingIsSent()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        using var dir = new TempDir();
        var yaml = AwsConformanceUpstream.Yaml("aws-host", "bedrock", sim, dir).Replace("profile: simulator", "profile: nobody", StringComparison.Ordinal);
        await using var gateway = await TestGateway.StartAsync(Config(yaml), static o => o, []);

        using var response = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);

        // Not a broken connection: the request could not be signed, so it says so, and nothing reached the upstream.
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["error"]!;
        Assert.Equal("upstream_credentials", (string?)error["code"]);
        Assert.StartsWith("Deployment 'aws' could not authenticate its request: ", (string?)error["message"], StringComparison.Ordinal);
        Assert.Equal(0, sim.Stats.Received);
    }

    private static async Task<TestGateway> StartAsync(SimulatorServer sim, string type, TempDir dir, string deploymentExtra = "")
    {
        await File.WriteAllTextAsync(dir.File("credentials"),
            $"[simulator]\naws_access_key_id = {AwsSimulatorOptions.ExampleAccessKeyId}\naws_secret_access_key = {AwsSimulatorOptions.ExampleSecretAccessKey}\n", Ct);
        return await TestGateway.StartAsync(Config(AwsConformanceUpstream.Yaml("aws-host", type, sim, dir), deploymentExtra), static o => o, []);
    }
}
