using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

public sealed class FallbackTests
{
    /// <summary>Route "chat": primary "onprem" (sim0) with fallback "cloud" (sim1).</summary>
    private const string TwoDeployments = """
        auth:
          admin_key_env: TANDEM_TEST_ADMIN_KEY
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - name: onprem
            base_url: {sim0}
            timeouts: { connect: 2s, first_byte: 400ms, total: 20s, idle: 400ms }
          - name: cloud
            base_url: {sim1}
        deployments:
          - name: onprem
            provider: onprem
            model: llama-3.1-8b
            resilience: { retries: RETRIES, retry_backoff: 10ms, breaker: { min_throughput: MINTHROUGHPUT, failure_ratio: 0.5, window: 30s, break_for: BREAK } }
          - name: cloud
            provider: cloud
            model: gpt-4o-mini
        routes:
          - name: chat
            deployment: onprem
            fallbacks: [cloud]
        """;

    private static string Config(int retries = 0, string breakFor = "30s", int minThroughput = 4) =>
        TwoDeployments.Replace("RETRIES", retries.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("BREAK", breakFor, StringComparison.Ordinal)
            .Replace("MINTHROUGHPUT", minThroughput.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static async Task<HttpResponseMessage> PostAsync(TestGateway gateway, bool stream = false) =>
        await gateway.Http.PostAsync("v1/chat/completions", Json(stream
            ? """{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}"""
            : """{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);

    [Theory]
    [InlineData("503")]
    [InlineData("500")]
    [InlineData("reset")]
    [InlineData("stall")]
    [InlineData("429")]
    public async Task PrimaryFails_BeforeFirstByte_FallbackServes(string fault)
    {
        await using var onprem = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList(fault + ":1"), RetryAfterSeconds = 30 }, cancellationToken: Ct);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions { ReportedModel = "gpt-4o-mini-2024-07-18" }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config(), onprem, cloud);

        ChatCompletion completion = await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct);
        Assert.Equal("gpt-4o-mini-2024-07-18", completion.Model);

        using var raw = await PostAsync(gateway);
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal("cloud", raw.Headers.GetValues("x-tandem-deployment").Single());
        Assert.Matches(@"fallback: onprem \S+ -> cloud", raw.Headers.GetValues("x-tandem-decision").Single());
        Assert.Equal(2, cloud.Stats.Completed);
    }

    [Fact]
    public async Task Stream_FallsBackBeforeItsFirstByte()
    {
        await using var onprem = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList("503:1") }, cancellationToken: Ct);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 6 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config(), onprem, cloud);

        var text = new System.Text.StringBuilder();
        await foreach (var update in gateway.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("hi")], cancellationToken: Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        Assert.Equal(6, text.ToString().TrimEnd('.').Split(' ').Length);
        Assert.Equal(1, onprem.Stats.Faults);
        Assert.Equal(1, cloud.Stats.Completed);
    }

    [Fact]
    public async Task StreamThatStallsMidway_EndsWithAnErrorAndDoesNotFallBack()
    {
        // 1 token a second against an idle timeout of 400 ms: the stream starts, then goes silent too long.
        await using var onprem = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 5, TokensPerSecond = 1 }, cancellationToken: Ct);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config(), onprem, cloud);

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json("""{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}""") };
        using var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (lines, truncated) = await Sse.ReadLinesAsync(response, Ct);

        // The stall ends the stream with an error event, delivered, and never [DONE]; no fallback after the first byte.
        Assert.False(truncated);
        Assert.DoesNotContain("data: [DONE]", lines);
        Assert.StartsWith("data: {\"error\":", lines[^1], StringComparison.Ordinal);
        Assert.Contains("\"code\":\"upstream_idle_timeout\"", lines[^1], StringComparison.Ordinal);
        Assert.Equal(0, cloud.Stats.Received);
        await onprem.Stats.WaitForAsync(s => s.Cancelled >= 1, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task StreamLongerThanTheIdleTimeout_WithEventsCloserThanIt_Completes()
    {
        // An event every 250 ms against an idle timeout of 1 s, for 2 s in all: the idle deadline runs from the latest
        // read, not from the start of the stream, so the stream is never cut.
        await using var onprem = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 8, TokensPerSecond = 4 }, cancellationToken: Ct);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config().Replace("idle: 400ms", "idle: 1s", StringComparison.Ordinal), onprem, cloud);

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json("""{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}""") };
        using var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        var (lines, truncated) = await Sse.ReadLinesAsync(response, Ct);

        Assert.False(truncated);
        Assert.Equal("data: [DONE]", lines[^1]);
        Assert.DoesNotContain(lines, l => l.Contains("\"error\"", StringComparison.Ordinal));
        Assert.Equal(1, onprem.Stats.Completed);
        Assert.Equal(0, cloud.Stats.Received);
    }

    [Fact]
    public async Task ConcurrencyLimit_WithFullQueue_SendsTheOverflowToTheFallback()
    {
        await using var onprem = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = Distribution.Fixed(TimeSpan.FromSeconds(2)) }, cancellationToken: Ct);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        var config = Config().Replace("timeouts: { connect: 2s, first_byte: 400ms", "max_concurrency: 1\n    max_queue: 0\n    timeouts: { connect: 2s, first_byte: 5s", StringComparison.Ordinal);
        await using var gateway = await TestGateway.StartAsync(config, onprem, cloud);

        var first = PostAsync(gateway);
        await onprem.Stats.WaitForAsync(s => s.Received >= 1, TimeSpan.FromSeconds(10));
        using (var second = await PostAsync(gateway))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal("cloud", second.Headers.GetValues("x-tandem-deployment").Single());
            Assert.Contains("onprem deployment_at_capacity -> cloud", second.Headers.GetValues("x-tandem-decision").Single(), StringComparison.Ordinal);
        }

        using var firstResponse = await first;
        Assert.Equal("onprem", firstResponse.Headers.GetValues("x-tandem-deployment").Single());
    }

    [Fact]
    public async Task AllDeploymentsFail_ClientGetsTheLastError()
    {
        await using var onprem = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList("503:1") }, cancellationToken: Ct);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList("429:1"), RetryAfterSeconds = 9 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config(), onprem, cloud);

        using var response = await PostAsync(gateway);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(9), response.Headers.RetryAfter?.Delta);
        Assert.Contains("fallback: onprem 503 -> cloud", response.Headers.GetValues("x-tandem-decision").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TransientFailure_IsRetriedOnTheSameDeploymentFirst()
    {
        // Seeded: the simulator's per-request randomness is fixed, so which tries fail is fixed too.
        await using var onprem = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList("503:0.5"), Seed = 3 }, cancellationToken: Ct);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config(retries: 3, minThroughput: 1000), onprem, cloud);

        var fallbacks = 0;
        for (var i = 0; i < 20; i++)
        {
            using var response = await PostAsync(gateway);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            fallbacks += response.Headers.GetValues("x-tandem-deployment").Single() == "cloud" ? 1 : 0;
        }

        // Every fallback cost exactly 4 failed tries (1 + 3 retries); any other fault was retried on onprem and
        // followed by a success there.
        Assert.Equal(fallbacks, cloud.Stats.Completed);
        Assert.Equal(20 - fallbacks, onprem.Stats.Completed);
        Assert.True(onprem.Stats.Faults - (4 * fallbacks) > 0, $"faults {onprem.Stats.Faults}, fallbacks {fallbacks}");
        Assert.Equal(onprem.Stats.Faults + onprem.Stats.Completed, onprem.Stats.Received);
    }

    [Fact]
    public async Task Breaker_OpensAfterFailures_StopsCallingThePrimary_AndRecovers()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADMIN_KEY", "admin-key-123456");
        await using var onprem = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList("503:1") }, cancellationToken: Ct);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config(breakFor: "1s"), onprem, cloud);

        // min_throughput 4 at ratio 0.5: four failures open it.
        for (var i = 0; i < 4; i++)
        {
            using var response = await PostAsync(gateway);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(4, onprem.Stats.Received);
        Assert.Equal("open", await BreakerAsync(gateway, "onprem"));

        // While open, onprem is not called at all.
        for (var i = 0; i < 5; i++)
        {
            using var response = await PostAsync(gateway);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("onprem breaker_open -> cloud", response.Headers.GetValues("x-tandem-decision").Single(), StringComparison.Ordinal);
        }

        Assert.Equal(4, onprem.Stats.Received);

        // The primary heals; after the break a half-open probe goes through and closes the breaker.
        onprem.Options.Faults = [];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var response = await PostAsync(gateway);
            if (response.Headers.GetValues("x-tandem-deployment").Single() == "onprem")
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "breaker never let a probe through");
            await onprem.Stats.WaitForAsync(_ => false, TimeSpan.FromMilliseconds(100)).ContinueWith(_ => { }, Ct);
        }

        Assert.Equal("closed", await BreakerAsync(gateway, "onprem"));
    }

    [Fact]
    public async Task Maintenance_IsolatingADeployment_SendsTrafficToTheFallback()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADMIN_KEY", "admin-key-123456");
        await using var onprem = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config(), onprem, cloud);
        using var admin = AdminClient(gateway);

        using (var isolate = await admin.PostAsync("admin/deployments/onprem/isolate", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, isolate.StatusCode);
        }

        using (var response = await PostAsync(gateway))
        {
            Assert.Equal("cloud", response.Headers.GetValues("x-tandem-deployment").Single());
        }

        Assert.Equal("isolated", await BreakerAsync(gateway, "onprem"));
        using (var close = await admin.PostAsync("admin/deployments/onprem/close", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, close.StatusCode);
        }

        using (var response = await PostAsync(gateway))
        {
            Assert.Equal("onprem", response.Headers.GetValues("x-tandem-deployment").Single());
        }

        Assert.Equal(0, onprem.Stats.Received - 1);
        using var anonymous = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        using var denied = await anonymous.PostAsync("admin/deployments/onprem/isolate", null, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
    }

    [Fact]
    public async Task ContextLengthError_FallsBackToALargerWindow()
    {
        await using var small = await ReplayUpstream.StartAsync(
            """{"error":{"message":"This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"""u8.ToArray(),
            "application/json", status: 400);
        await using var big = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        var config = $$"""
            auth: { keys: [ { name: test, key: sk-test-key-123456 } ] }
            providers:
              - { name: small, base_url: "{{small.V1}}" }
              - { name: big, base_url: "{{big.V1}}" }
            deployments:
              - { name: llama-8k, provider: small, model: llama, context_window: 8192 }
              - { name: same-8k, provider: small, model: llama2, context_window: 8192 }
              - { name: gpt-128k, provider: big, model: gpt-4o-mini, context_window: 128000 }
            routes:
              - { name: chat, deployment: llama-8k, fallbacks: [same-8k, gpt-128k] }
            """;
        await using var gateway = await TestGateway.StartAsync(config);
        using var response = await PostAsync(gateway);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-128k", response.Headers.GetValues("x-tandem-deployment").Single());
        Assert.Contains("llama-8k context_length_exceeded -> gpt-128k", response.Headers.GetValues("x-tandem-decision").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientErrorsFromTheUpstream_AreRelayedWithoutFallback()
    {
        await using var strict = await ReplayUpstream.StartAsync(
            """{"error":{"message":"Invalid value for 'temperature': must be at most 2.","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}"""u8.ToArray(),
            "application/json", status: 400);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config().Replace("{sim0}", strict.V1, StringComparison.Ordinal), cloud, cloud);
        using var response = await PostAsync(gateway);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("temperature", doc.RootElement.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(0, cloud.Stats.Received);
    }

    [Fact]
    public async Task PersonalData_NeverReachesAForbiddenDeployment()
    {
        await using var onprem = await SimulatorServer.StartAsync(new SimulatorOptions { RecordRequests = 1000 }, cancellationToken: Ct);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions { RecordRequests = 1000 }, cancellationToken: Ct);
        const string config = """
            auth: { keys: [ { name: test, key: sk-test-key-123456 } ] }
            providers:
              - { name: onprem, base_url: "{sim0}" }
              - { name: cloud, base_url: "{sim1}" }
            deployments:
              - { name: llama, provider: onprem, model: llama }
              - { name: gpt, provider: cloud, model: gpt-4o-mini }
            routes:
              - name: chat
                split: [ { deployment: gpt, weight: 50 }, { deployment: llama, weight: 50 } ]
                fallbacks: [gpt]
                rules:
                  - name: pii
                    when: { pii: [any] }
                    only: [llama]
            """;
        await using var gateway = await TestGateway.StartAsync(config, onprem, cloud);

        var random = new Random(5);
        var secrets = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            var (text, secret) = (i % 4) switch
            {
                0 => Pii($"user{random.Next(100000)}@example.org"),
                1 => Pii($"+1 415 555 {random.Next(1000, 9999)}"),
                2 => Pii(Card(random)),
                _ => ($"What is the weather like in city number {i}?", null),
            };
            if (secret is not null)
            {
                secrets.Add(secret);
            }

            var body = new JsonObject
            {
                ["model"] = "chat",
                ["user"] = "user-" + i,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
            };
            using var response = await gateway.Http.PostAsync("v1/chat/completions", Json(body.ToJsonString()), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (secret is not null)
            {
                Assert.Equal("llama", response.Headers.GetValues("x-tandem-deployment").Single());
                Assert.StartsWith("rule pii", response.Headers.GetValues("x-tandem-decision").Single(), StringComparison.Ordinal);
                Assert.DoesNotContain(secret, response.Headers.GetValues("x-tandem-decision").Single(), StringComparison.Ordinal);
            }
        }

        // Personal data only ever reached the on-prem simulator; clean traffic was split across both.
        static string ContentOf(ReceivedRequest r) => (string)JsonNode.Parse(r.Body)!["messages"]![0]!["content"]!;
        var cloudTexts = string.Join("\n", cloud.Stats.Recent.Select(ContentOf));
        Assert.All(secrets, s => Assert.DoesNotContain(s, cloudTexts, StringComparison.Ordinal));
        Assert.Equal(45, onprem.Stats.Recent.Count(r => secrets.Any(s => ContentOf(r).Contains(s, StringComparison.Ordinal))));
        Assert.True(cloud.Stats.Received > 0);

        static (string, string) Pii(string secret) => ($"Please update my details, my contact is {secret} thanks", secret);
    }

    private static string Card(Random random)
    {
        var digits = new int[16];
        digits[0] = 5;
        digits[1] = 1 + random.Next(5);
        for (var j = 2; j < 15; j++)
        {
            digits[j] = random.Next(10);
        }

        var sum = 0;
        for (var i = 0; i < 15; i++)
        {
            var d = digits[14 - i];
            if (i % 2 == 0)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        digits[15] = (10 - (sum % 10)) % 10;
        return string.Concat(digits);
    }

    private static HttpClient AdminClient(TestGateway gateway)
    {
        var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "admin-key-123456");
        return admin;
    }

    private static async Task<string?> BreakerAsync(TestGateway gateway, string deployment)
    {
        using var admin = AdminClient(gateway);
        using var doc = JsonDocument.Parse(await admin.GetStringAsync("admin/deployments", Ct));
        return doc.RootElement.GetProperty("deployments").EnumerateArray().Single(d => d.GetProperty("name").GetString() == deployment).GetProperty("breaker").GetString();
    }
}
