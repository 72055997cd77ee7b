using System.Text;
using System.Text.Json.Nodes;
using Tandem.Configuration;
using Tandem.Core.Tests.Upstream;
using Tandem.Simulator;
using Tandem.Upstream;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Providers.Gemini;

/// <summary>The adapter inside the seam (a scripted handler for the model calls), and its configuration.</summary>
public sealed class GeminiAdapterTests
{
    private const string Answer = """{"candidates":[{"content":{"parts":[{"text":"Paris."}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":2,"totalTokenCount":9},"modelVersion":"gemini-2.5-flash-001","responseId":"r-1"}""";

    private static string Config(string provider, string model = "gemini-2.5-flash") => $$"""
        auth: { disabled: true }
        providers:
          - name: google
            type: gemini
            {{provider}}
        deployments:
          - { name: flash, provider: google, model: {{model}}, resilience: { retries: 0 } }
        routes:
          - { name: r, deployment: flash }
        """;

    private static UpstreamRequest Request(ApiOperation operation, string body) =>
        UpstreamRequest.Parse(operation, Encoding.UTF8.GetBytes(body), UpstreamPurpose.Client, "req-1");

    [Theory]
    [InlineData(false, "https://generativelanguage.test/v1beta/models/gemini-2.5-flash:generateContent")]
    [InlineData(true, "https://generativelanguage.test/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")]
    public async Task SendAsync_GeminiApi_ModelUrlAndApiKeyHeader(bool stream, string url)
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_GEMINI_KEY", "AIza-test-key");
        var fake = new FakeUpstream();
        HttpRequestMessage? sent = null;
        string? body = null;
        fake.Script("google", async (message, _) =>
        {
            sent = message;
            body = await message.Content!.ReadAsStringAsync();
            return stream
                ? new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent("data: " + Answer + "\r\n\r\n", Encoding.UTF8, "text/event-stream") }
                : FakeUpstream.Json(200, Answer);
        });
        var deployment = fake.Build(Config("base_url: \"https://generativelanguage.test/v1beta\"\n    api_key_env: TANDEM_TEST_GEMINI_KEY", "models/gemini-2.5-flash")).Deployments["flash"];

        using var result = await deployment.Invoker.SendAsync(Request(ApiOperation.ChatCompletions, $$"""{"model":"r","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Capital of France?"}]}"""), Ct);

        Assert.True(result.IsSuccess);
        Assert.Equal(url, sent!.RequestUri!.ToString());
        Assert.Equal("AIza-test-key", sent.Headers.GetValues("x-goog-api-key").Single());
        Assert.False(sent.Headers.Contains("Authorization"));
        Assert.Equal("""{"contents":[{"role":"user","parts":[{"text":"Capital of France?"}]}],"generationConfig":{}}""", body);
    }

    [Fact]
    public async Task SendAsync_VertexAi_PublisherModelUrl_BearerTokenFetchedOnceFromTheKeyFilesTokenUri()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        using var dir = new TempDir();
        sim.WriteServiceAccountKey(dir.File("sa.json"));
        var env = "TANDEM_TEST_VERTEX_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(env, dir.File("sa.json"));
        var fake = new FakeUpstream();
        var auth = new List<string>();
        var urls = new List<string>();
        fake.Script("google", (message, _) =>
        {
            auth.Add(message.Headers.Authorization!.ToString());
            urls.Add(message.RequestUri!.ToString());
            return Task.FromResult(FakeUpstream.Json(200, Answer));
        });
        var deployment = fake.Build(Config($"base_url: \"https://us-central1-aiplatform.test/v1\"\n    gemini: {{ vertex: {{ project: my-proj, location: us-central1, credentials_env: {env} }} }}")).Deployments["flash"];

        for (var i = 0; i < 2; i++)
        {
            using var result = await deployment.Invoker.SendAsync(Request(ApiOperation.ChatCompletions, """{"model":"r","messages":[{"role":"user","content":"hi"}]}"""), Ct);
            Assert.True(result.IsSuccess);
        }

        Assert.Equal(["https://us-central1-aiplatform.test/v1/projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"], urls.Distinct());
        Assert.Equal(2, auth.Count);
        Assert.Equal(auth[0], auth[1]);
        Assert.StartsWith("Bearer ya29.sim-1-", auth[0], StringComparison.Ordinal);
        Assert.Equal(1, sim.TokensIssued);
    }

    [Fact]
    public async Task SendAsync_Embeddings_BatchThenOpenAiList()
    {
        var fake = new FakeUpstream();
        string? url = null;
        fake.Script("google", (message, _) =>
        {
            url = message.RequestUri!.ToString();
            return Task.FromResult(FakeUpstream.Json(200, """{"embeddings":[{"values":[0.5,0.25]},{"values":[1,2]}]}"""));
        });
        var deployment = fake.Build(Config("base_url: \"https://generativelanguage.test/v1beta\"", "text-embedding-004")).Deployments["flash"];

        using var result = await deployment.Invoker.SendAsync(Request(ApiOperation.Embeddings, """{"model":"r","input":["a","b"]}"""), Ct);

        Assert.Equal("https://generativelanguage.test/v1beta/models/text-embedding-004:batchEmbedContents", url);
        var list = JsonNode.Parse(result.Buffered.Span)!;
        Assert.Equal([0.5, 0.25], list["data"]![0]!["embedding"]!.AsArray().Select(v => (double)v!));
    }

    [Fact]
    public async Task SendAsync_Overloaded503_FallsBack_InvalidArgument400_KeepsGooglesMessageInAnOpenAiError()
    {
        var fake = new FakeUpstream();
        fake.Script("google", i => i == 0
            ? FakeUpstream.Json(503, """{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}""")
            : FakeUpstream.Json(400, """{"error":{"code":400,"message":"* GenerateContentRequest.contents: contents is not specified","status":"INVALID_ARGUMENT"}}"""));
        var deployment = fake.Build(Config("base_url: \"https://generativelanguage.test/v1beta\"")).Deployments["flash"];

        using var overloaded = await deployment.Invoker.SendAsync(Request(ApiOperation.ChatCompletions, """{"model":"r","messages":[{"role":"user","content":"hi"}]}"""), Ct);
        using var invalid = await deployment.Invoker.SendAsync(Request(ApiOperation.ChatCompletions, """{"model":"r","messages":[{"role":"user","content":"hi"}]}"""), Ct);

        Assert.Equal((FailureKind.ServerError, 502), (overloaded.Failure!.Kind, overloaded.Failure.Status));
        Assert.Equal((FailureKind.ClientError, 400, "* GenerateContentRequest.contents: contents is not specified"), (invalid.Failure!.Kind, invalid.Failure.Status, invalid.Failure.Message));
        Assert.Null(invalid.Failure.Body); // Google's body has a numeric code: not relayed to OpenAI clients as is
    }

    [Theory]
    [InlineData("gemini: { schemas: yaml }", "providers[0].gemini.schemas: unknown mode 'yaml' (expected 'openapi' or 'json_schema')")]
    [InlineData("gemini: { vertex: { project: \"\", credentials_env: TANDEM_TEST_UNSET_VERTEX } }", "providers[0].gemini.vertex.project: required (the Google Cloud project id)")]
    [InlineData("gemini: { vertex: { project: p, credentials_env: TANDEM_TEST_UNSET_VERTEX } }", "providers[0].gemini.vertex.credentials_env: environment variable 'TANDEM_TEST_UNSET_VERTEX' is not set")]
    public void Validate_BadGeminiSettings_NamedWithTheirPath(string settings, string error)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Config("base_url: \"https://x.test/v1\"\n    " + settings)));

        Assert.Contains(error, e.Errors);
    }

    [Fact]
    public void Validate_VertexKeyFileThatIsNoKey_IsRefused()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("sa.json"), """{"type":"service_account"}""");
        var env = "TANDEM_TEST_VERTEX_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(env, dir.File("sa.json"));

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Config($"base_url: \"https://x.test/v1\"\n    gemini: {{ vertex: {{ project: p, credentials_env: {env} }} }}")));

        Assert.Equal([$"providers[0].gemini.vertex.credentials_env: '{dir.File("sa.json")}' lacks client_email or private_key: it is not a service account key file"], e.Errors);
    }
}
