using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.FunctionalTests.Infrastructure;
using Xunit;

namespace Tandem.FunctionalTests.Providers;

/// <summary>What only a translating adapter can show: refusals by field, translated provider errors, scrubbed secrets.</summary>
public sealed class ToyAdapterTests
{
    private const string ToyKey = "toy-secret-key-0123456789";

    private static string Config(ToyUpstream toy, ToyUpstream? big = null) => $$"""
        auth:
          keys:
            - name: test
              key: {{TestGateway.Key}}
        providers:
          - name: toy-host
            type: toy
            base_url: {{toy.BaseUrl}}
            api_key_env: TANDEM_TEST_TOY_KEY
        {{(big is null ? "" : $"  - name: big-host\n    type: toy\n    base_url: {big.BaseUrl}\n")}}
        deployments:
          - name: small
            provider: toy-host
            model: toy-s
            context_window: 8000
            resilience: { retries: 0 }
        {{(big is null ? "" : "  - name: big\n    provider: big-host\n    model: toy-l\n    context_window: 128000\n")}}
        routes:
          - name: chat
            deployment: small
        {{(big is null ? "" : "    fallbacks: [big]\n")}}
        """;

    private static async Task<TestGateway> StartAsync(string config)
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_TOY_KEY", ToyKey);
        return await TestGateway.StartAsync(config, o => o with { Adapters = ToyAdapter.Register(Tandem.Providers.ProviderAdapters.BuiltIn) }, []);
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(TestGateway gateway, string path, string body)
    {
        using var response = await gateway.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!);
    }

    [Fact]
    public async Task Tools_CannotBeTranslated_400NamesTheField_NoUpstreamCall()
    {
        await using var toy = await ToyUpstream.StartAsync();
        await using var gateway = await StartAsync(Config(toy));

        var (status, body) = await PostAsync(gateway, "v1/chat/completions",
            """{"model":"chat","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("tools", (string?)body["error"]!["param"]);
        Assert.Equal("unsupported_field", (string?)body["error"]!["code"]);
        Assert.Equal("Deployment 'small' cannot use tools (its provider speaks toy).", (string?)body["error"]!["message"]);
        Assert.Equal(0, toy.Received);
    }

    [Fact]
    public async Task Embeddings_OnAChatOnlyProvider_400UnsupportedOperation()
    {
        await using var toy = await ToyUpstream.StartAsync();
        await using var gateway = await StartAsync(Config(toy));

        var (status, body) = await PostAsync(gateway, "v1/embeddings", """{"model":"small","input":"hi"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unsupported_operation", (string?)body["error"]!["code"]);
        Assert.Equal(0, toy.Received);
    }

    [Fact]
    public async Task ProviderError_IsTranslatedToOpenAiShape_AndNotRetriedElsewhere()
    {
        await using var toy = await ToyUpstream.StartAsync();
        await using var big = await ToyUpstream.StartAsync();
        toy.Fault = UpstreamFault.Status400;
        await using var gateway = await StartAsync(Config(toy, big));

        var (status, body) = await PostAsync(gateway, "v1/chat/completions", """{"model":"chat","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("temperature must be at most 2", (string?)body["error"]!["message"]);
        Assert.Equal("invalid_request_error", (string?)body["error"]!["type"]);
        Assert.Equal("upstream_400", (string?)body["error"]!["code"]);
        Assert.Equal(0, big.Received);
    }

    [Fact]
    public async Task ContextTooLong_FallsBackToTheLargerWindow()
    {
        await using var toy = await ToyUpstream.StartAsync();
        await using var big = await ToyUpstream.StartAsync();
        toy.Fault = UpstreamFault.ContextTooLong;
        await using var gateway = await StartAsync(Config(toy, big));

        using var response = await gateway.Http.PostAsync("v1/chat/completions",
            new StringContent("""{"model":"chat","messages":[{"role":"user","content":"a long story"}]}""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("big", response.Headers.GetValues("x-tandem-deployment").Single());
        Assert.Equal("route chat -> small; fallback: small context_length_exceeded -> big", response.Headers.GetValues("x-tandem-decision").Single());
    }

    [Fact]
    public async Task UpstreamErrorQuotingTheCredential_ReachesTheClientScrubbed()
    {
        await using var toy = await ToyUpstream.StartAsync();
        toy.Fault = UpstreamFault.EchoKey;
        await using var gateway = await StartAsync(Config(toy));

        using var response = await gateway.Http.PostAsync("v1/chat/completions",
            new StringContent("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(ToyKey, text, StringComparison.Ordinal);
        Assert.Equal("key [redacted] may not use this engine", (string?)JsonNode.Parse(text)!["error"]!["message"]);
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains(ToyKey, StringComparison.Ordinal));
    }
}
