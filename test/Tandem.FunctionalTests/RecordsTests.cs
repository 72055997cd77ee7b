using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;
using Tandem.Costs;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

public sealed class RecordsTests
{
    private const string UsageOffConfig = """
        auth:
          keys:
            - name: test
              key: sk-test-key-123456
        providers:
          - name: sim
            base_url: {sim0}
        deployments:
          - name: gpt
            provider: sim
            model: gpt-4o-mini-2024-07-18
            usage: estimate
            pricing: { input_per_mtok: 2.00, output_per_mtok: 8.00 }
          - name: plain
            provider: sim
            model: gpt-4o-mini-2024-07-18
            pricing: { input_per_mtok: 2.00, output_per_mtok: 8.00 }
        routes:
          - name: chat
            deployment: gpt
        """;

    private static async Task<(string Id, string Text)> SendAsync(TestGateway gateway, string model, string prompt, bool stream, string id)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["stream"] = stream,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
        }.ToJsonString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(body) };
        request.Headers.Add("x-request-id", id);
        using var response = await gateway.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(Ct);
        if (!stream)
        {
            var json = JsonNode.Parse(text)!;
            Assert.Null(json["usage"]);
            return (id, (string)json["choices"]![0]!["message"]!["content"]!);
        }

        var answer = new StringBuilder();
        foreach (var data in Sse.Events(text))
        {
            if (data == "[DONE]")
            {
                continue;
            }

            var chunk = JsonNode.Parse(data)!;
            Assert.Null(chunk["usage"]);
            if (chunk["choices"]!.AsArray() is [var first, ..] && first!["delta"]?["content"] is JsonNode content)
            {
                answer.Append((string)content!);
            }
        }

        return (id, answer.ToString());
    }

    [Fact]
    public async Task UpstreamWithoutUsage_EstimateDeployment_RecordsTokenizerCountsMarkedEstimatedAndPriced()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { ReportUsage = false, OutputTokens = 17 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(UsageOffConfig, sim);
        const string prompt = "Where is my parcel? It was due on Monday.";

        var plain = await SendAsync(gateway, "chat", prompt, stream: false, "est-json");
        var streamed = await SendAsync(gateway, "chat", prompt, stream: true, "est-sse");

        // Counted by hand with the o200k vocabulary, as OpenAI bills chat: 3 framing tokens per message plus its role
        // and content, and 3 priming the reply.
        var o200k = TiktokenTokenizer.CreateForEncoding("o200k_base");
        var promptTokens = 3 + o200k.CountTokens("user") + o200k.CountTokens(prompt) + 3;
        foreach (var (id, text) in new[] { plain, streamed })
        {
            Assert.False(string.IsNullOrWhiteSpace(text));
            var record = await gateway.RecordAsync(id, Ct);
            Assert.True(record.TokensEstimated);
            Assert.Equal(promptTokens, record.PromptTokens);
            Assert.Equal(o200k.CountTokens(text), record.CompletionTokens);
            Assert.Equal(((record.PromptTokens * 2m) + (record.CompletionTokens * 8m)) / 1_000_000m, record.Cost);
            Assert.Null(record.ResponseContent); // estimation keeps the text only to count it
        }

        Assert.True(streamed.Text.Length > 0 && plain.Text.Length > 0);
    }

    [Fact]
    public async Task InterruptedStream_EstimateDeployment_CountsThePartialAnswerTheClientGot()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            OutputTokens = 30,
            Faults = [new Fault(FaultKind.Abort, 1.0)],
            // Paced, so that the gateway has read the first half before the connection reset (which discards unread data).
            TokensPerSecond = 200,
        }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(UsageOffConfig, sim);

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = Json("""{"model":"chat","stream":true,"messages":[{"role":"user","content":"Tell me a story"}]}"""),
        };
        request.Headers.Add("x-request-id", "cut-1");
        using var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        var (lines, truncated) = await Sse.ReadLinesAsync(response, Ct);
        var received = new StringBuilder();
        foreach (var data in lines.Select(Sse.Data).OfType<string>().Where(d => d.StartsWith('{')))
        {
            var chunk = JsonNode.Parse(data)!;
            if (chunk["choices"] is JsonArray { Count: > 0 } choices && choices[0]!["delta"]?["content"] is JsonNode content)
            {
                received.Append((string)content!);
            }
        }

        // The gateway ends the stream with a delivered error event (never [DONE]), so that no client takes it for complete.
        Assert.False(truncated);
        Assert.Contains(lines.Select(Sse.Data).OfType<string>(), d => d.StartsWith("{\"error\":", StringComparison.Ordinal));
        Assert.NotEqual(0, received.Length);
        var record = await gateway.RecordAsync("cut-1", Ct);
        Assert.Equal((502, "stream_interrupted", true), (record.Status, record.Error, record.TokensEstimated));
        var o200k = TiktokenTokenizer.CreateForEncoding("o200k_base");
        Assert.Equal(o200k.CountTokens(received.ToString()), record.CompletionTokens);
        Assert.True(record.CompletionTokens < 30);
        Assert.True(record.Cost > 0);
    }

    [Fact]
    public async Task UpstreamWithoutUsage_ReportedDeployment_EstimatesPromptOnly()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { ReportUsage = false, OutputTokens = 5 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(UsageOffConfig, sim);

        await SendAsync(gateway, "plain", "Hello there", stream: true, "plain-1");

        var o200k = TiktokenTokenizer.CreateForEncoding("o200k_base");
        var record = await gateway.RecordAsync("plain-1", Ct);
        Assert.True(record.TokensEstimated);
        Assert.Equal(3 + o200k.CountTokens("user") + o200k.CountTokens("Hello there") + 3, record.PromptTokens);
        Assert.Equal(0, record.CompletionTokens); // the answer text was not kept for this deployment
    }

    [Fact]
    public async Task Record_ReportedUsage_KeepsRouteDeploymentAttemptsTimingsModelAndFingerprint()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 9, SystemFingerprint = "fp_test_1" }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = Json("""{"model":"chat","stream":true,"user":"alice@example.com","metadata":{"team":"search"},"messages":[{"role":"user","content":"Hello there"}]}"""),
        };
        request.Headers.Add("x-request-id", "rec-1");
        using var response = await gateway.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync(Ct);

        var record = await gateway.RecordAsync("rec-1", Ct);
        Assert.Equal(("test", "chat", "gpt", "chat"), (record.Key, record.Route, record.Deployment, record.Operation));
        Assert.Equal("route chat -> gpt", record.Decision);
        Assert.True(record.Stream);
        Assert.Equal(200, record.Status);
        Assert.Equal((7, 9, false), (record.PromptTokens, record.CompletionTokens, record.TokensEstimated));
        Assert.Equal("gpt", record.Attempts.Single().Deployment);
        Assert.Equal(200, record.Attempts.Single().Status);
        Assert.NotNull(record.TtftMs);
        Assert.True(record.TotalMs >= record.UpstreamMs);
        Assert.Equal("stop", record.FinishReason);
        Assert.Equal("gpt-4o-mini-2024-07-18", record.UpstreamModel);
        Assert.Equal("fp_test_1", record.SystemFingerprint);
        Assert.Equal("alice@example.com", record.EndUser); // hash_end_users is off by default
        Assert.Equal("search", record.Tags!["team"]);
        Assert.Null(record.PromptContent);
        Assert.Null(record.ResponseContent);
        // gpt-4o-mini is in the default price table: $0.15 in, $0.60 out per million.
        Assert.Equal(((7 * 0.15m) + (9 * 0.60m)) / 1_000_000m, record.Cost);
    }

    [Fact]
    public async Task Capture_RedactedAndFullRoutes_KeepContentAsConfiguredAndHashEndUsers()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Answers = new Dictionary<string, string> { ["My card is 4111 1111 1111 1111, mail me at bob@example.org"] = "Call +44 20 7946 0958 or write to help@shop.example" },
        }, cancellationToken: Ct);
        const string config = """
            auth:
              keys:
                - name: test
                  key: sk-test-key-123456
            storage:
              hash_end_users: true
            providers:
              - name: sim
                base_url: {sim0}
            deployments:
              - name: gpt
                provider: sim
                model: gpt-4o-mini-2024-07-18
            routes:
              - name: redacted
                deployment: gpt
                capture: redacted
              - name: full
                deployment: gpt
                capture: full
              - name: off
                deployment: gpt
            """;
        await using var gateway = await TestGateway.StartAsync(config, sim);
        const string prompt = "My card is 4111 1111 1111 1111, mail me at bob@example.org";

        foreach (var (route, stream) in new[] { ("redacted", true), ("full", false), ("off", false) })
        {
            var body = new JsonObject
            {
                ["model"] = route,
                ["stream"] = stream,
                ["user"] = "bob",
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
            }.ToJsonString();
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(body) };
            request.Headers.Add("x-request-id", "cap-" + route);
            using var response = await gateway.Http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.ReadAsStringAsync(Ct);
        }

        var redacted = await gateway.RecordAsync("cap-redacted", Ct);
        Assert.Contains("My card is [card], mail me at [email]", redacted.PromptContent, StringComparison.Ordinal);
        Assert.DoesNotContain("4111", redacted.PromptContent, StringComparison.Ordinal);
        Assert.Equal("Call [phone] or write to [email]", redacted.ResponseContent);

        var full = await gateway.RecordAsync("cap-full", Ct);
        Assert.Contains(prompt, full.PromptContent, StringComparison.Ordinal);
        Assert.Equal("Call +44 20 7946 0958 or write to help@shop.example", full.ResponseContent);

        var off = await gateway.RecordAsync("cap-off", Ct);
        Assert.Null(off.PromptContent);
        Assert.Null(off.ResponseContent);

        // HMAC-SHA256 of "bob" under the default salt "tandem-end-user", first 16 bytes in hex, worked out outside
        // Tandem: python3 -c "import hmac,hashlib;print(hmac.new(b'tandem-end-user',b'bob',hashlib.sha256).hexdigest()[:32])"
        Assert.Equal("a4635f88c1d1d581d7e566e1b1c3ef96", off.EndUser);
        Assert.Equal(off.EndUser, full.EndUser);
    }

    [Fact]
    public async Task Metrics_AfterTraffic_ExposePrometheusSeriesByRouteAndDeployment()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 4 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);
        await gateway.Chat("chat").CompleteChatAsync([new OpenAI.Chat.UserChatMessage("Hello there")], cancellationToken: Ct);
        await gateway.WaitForRecordsAsync(1, Ct);

        using var ready = await gateway.Http.GetAsync("readyz", Ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ok", (string?)JsonNode.Parse(await ready.Content.ReadAsStringAsync(Ct))!["storage"]);

        using var metrics = await gateway.Http.GetAsync("metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        var text = await metrics.Content.ReadAsStringAsync(Ct);
        foreach (var series in new[] { "tandem_requests_total{", "tandem_request_duration_seconds_bucket{", "gen_ai_client_token_usage", "tandem_cost", "tandem_records_queue_depth{", "tandem_records_written_total{" })
        {
            Assert.Contains(series, text, StringComparison.Ordinal);
        }

        Assert.Contains("route=\"chat\"", text, StringComparison.Ordinal);
        Assert.Contains("deployment=\"gpt\"", text, StringComparison.Ordinal);
    }
}
