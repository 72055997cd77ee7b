using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary><c>POST /v1/feedback</c> and <c>GET /admin/feedback/{id}</c> on a real gateway: storage, ownership, masking, refusals.</summary>
public sealed class FeedbackTests
{
    private const string AdminKey = "admin-key-feedback-1";
    private const string OtherKey = "sk-other-key-654321";

    private const string Config = """
        auth:
          admin_key_env: TANDEM_TEST_FEEDBACK_ADMIN_KEY
          keys:
            - { name: test, key: sk-test-key-123456 }
            - { name: other, key: sk-other-key-654321 }
        server:
          max_body_bytes: 200000
        providers:
          - { name: sim, base_url: "{sim0}" }
        deployments:
          - { name: gpt, provider: sim, model: gpt-4o-mini-2024-07-18 }
        routes:
          - { name: full, deployment: gpt, capture: full }
          - { name: off, deployment: gpt }
        """;

    private static async Task<string> ChatAsync(TestGateway gateway, string route, string text, string key = TestGateway.Key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = Json($$"""{"model":"{{route}}","messages":[{"role":"user","content":{{JsonSerializer.Serialize(text)}}}]}"""),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await gateway.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync(Ct);
        return response.Headers.GetValues("x-request-id").Single();
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostFeedbackAsync(TestGateway gateway, string body, string? key = TestGateway.Key)
    {
        // A client of its own: the gateway's Http sends the test key by default.
        using var http = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/feedback") { Content = Json(body) };
        request.Headers.Authorization = key is null ? null : new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request, Ct);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return (response.StatusCode, doc.RootElement.Clone());
    }

    private static async Task<JsonElement> AdminGetAsync(TestGateway gateway, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var response = await admin.GetAsync(path, Ct);
        Assert.Equal(expected, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task Feedback_SeveralPerRequest_StoredWithAuthorAndTime_RecordUnchanged()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_FEEDBACK_ADMIN_KEY", AdminKey);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, sim);
        var id = await ChatAsync(gateway, "full", "I lost my card");
        var before = await gateway.RecordAsync(id, Ct);

        var (s1, first) = await PostFeedbackAsync(gateway, $$$"""{"request_id":"{{{id}}}","rating":"down","correction":"card_lost","comment":"wrong","user":"u-7","tags":{"team":"cards"}}""");
        var (s2, second) = await PostFeedbackAsync(gateway, $$"""{"request_id":"{{id}}","rating":4}""");

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (s1, s2));
        Assert.Equal(("feedback", "test", "full", "gpt", "down", 1, "card_lost"), (first.GetProperty("object").GetString(), first.GetProperty("author").GetString(),
            first.GetProperty("route").GetString(), first.GetProperty("deployment").GetString(), first.GetProperty("rating").GetString(),
            first.GetProperty("score").GetInt32(), first.GetProperty("correction").GetString()));
        Assert.Equal((4, 4), (second.GetProperty("rating").GetInt32(), second.GetProperty("score").GetInt32()));

        var listed = await AdminGetAsync(gateway, "admin/feedback/" + id);
        var items = listed.GetProperty("feedback").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.Equal(["down", "4"], items.Select(i => i.GetProperty("rating").ToString()));
        Assert.Equal("cards", items[0].GetProperty("tags").GetProperty("team").GetString());
        Assert.Equal("u-7", items[0].GetProperty("user").GetString());

        var after = await gateway.Store().GetAsync(id, Ct);
        Assert.Equal((before.PromptContent, before.ResponseContent, before.Status, before.Deployment), (after!.PromptContent, after.ResponseContent, after.Status, after.Deployment));
    }

    [Fact]
    public async Task Feedback_RouteWithoutCapture_KeepsTheClientsConversationMasked()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_FEEDBACK_ADMIN_KEY", AdminKey);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, sim);
        var id = await ChatAsync(gateway, "off", "mail me at bob@example.org");

        var (status, _) = await PostFeedbackAsync(gateway,
            $$"""{"request_id":"{{id}}","rating":"up","messages":[{"role":"user","content":"mail me at bob@example.org"}],"answer":"sure","correction":"write to bob@example.org"}""");

        Assert.Equal(HttpStatusCode.Created, status);
        var stored = Assert.Single(await gateway.App.Services.GetRequiredService<Tandem.Feedback.IFeedbackStore>().ForRequestAsync(id, Ct));
        Assert.Equal("""[{"role":"user","content":"mail me at [email]"}]""", stored.Messages);
        Assert.Equal(("sure", "write to [email]"), (stored.Answer, stored.Correction));
    }

    [Fact]
    public async Task Feedback_BadInputs_GetOpenAiShapedErrors()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_FEEDBACK_ADMIN_KEY", AdminKey);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, sim);
        var mine = await ChatAsync(gateway, "full", "hello");
        var theirs = await ChatAsync(gateway, "full", "hello", OtherKey);
        await gateway.RecordAsync(theirs, Ct);
        var longCorrection = new string('x', (32 * 1024) + 1);

        var cases = new (string? Key, string Body, HttpStatusCode Status, string? Param, string Code)[]
        {
            (null, $$"""{"request_id":"{{mine}}","rating":"up"}""", HttpStatusCode.Unauthorized, null, "invalid_api_key"),
            ("sk-wrong", $$"""{"request_id":"{{mine}}","rating":"up"}""", HttpStatusCode.Unauthorized, null, "invalid_api_key"),
            (TestGateway.Key, "{not json", HttpStatusCode.BadRequest, "body", "invalid_json"),
            (TestGateway.Key, "[1]", HttpStatusCode.BadRequest, "body", "invalid_type"),
            (TestGateway.Key, """{"rating":"up"}""", HttpStatusCode.BadRequest, "request_id", "missing_required_parameter"),
            (TestGateway.Key, $$"""{"request_id":"{{mine}}"}""", HttpStatusCode.BadRequest, "rating", "missing_required_parameter"),
            (TestGateway.Key, $$"""{"request_id":"{{mine}}","rating":6}""", HttpStatusCode.BadRequest, "rating", "invalid_value"),
            (TestGateway.Key, $$"""{"request_id":"{{mine}}","rating":"meh"}""", HttpStatusCode.BadRequest, "rating", "invalid_value"),
            (TestGateway.Key, $$"""{"request_id":"{{mine}}","rating":2.5}""", HttpStatusCode.BadRequest, "rating", "invalid_value"),
            (TestGateway.Key, $$"""{"request_id":"{{mine}}","correction":42}""", HttpStatusCode.BadRequest, "correction", "invalid_type"),
            (TestGateway.Key, $$$"""{"request_id":"{{{mine}}}","rating":1,"tags":{"a":1}}""", HttpStatusCode.BadRequest, "tags.a", "invalid_value"),
            (TestGateway.Key, $$"""{"request_id":"{{mine}}","rating":1,"messages":[{"role":"wizard","content":"x"}]}""", HttpStatusCode.BadRequest, "messages[0].role", "invalid_value"),
            (TestGateway.Key, $$"""{"request_id":"{{mine}}","correction":"{{longCorrection}}"}""", HttpStatusCode.RequestEntityTooLarge, "correction", "correction_too_large"),
            (TestGateway.Key, """{"request_id":"never-seen","rating":"up"}""", HttpStatusCode.NotFound, "request_id", "request_not_found"),
            // Another key's request looks exactly like an unknown one.
            (TestGateway.Key, $$"""{"request_id":"{{theirs}}","rating":"up"}""", HttpStatusCode.NotFound, "request_id", "request_not_found"),
            (TestGateway.Key, $$"""{"request_id":"{{mine}}","comment":"{{new string('y', 250_000)}}"}""", HttpStatusCode.RequestEntityTooLarge, null, "request_too_large"),
        };

        foreach (var c in cases)
        {
            var (status, body) = await PostFeedbackAsync(gateway, c.Body, c.Key);
            Assert.True(c.Status == status, $"{c.Body[..Math.Min(60, c.Body.Length)]}: {status} {body}");
            var error = body.GetProperty("error");
            Assert.Equal((c.Param, c.Code, "invalid_request_error"), (error.GetProperty("param").GetString(), error.GetProperty("code").GetString(), error.GetProperty("type").GetString()));
        }

        Assert.Empty(await gateway.App.Services.GetRequiredService<Tandem.Feedback.IFeedbackStore>().ForRequestAsync(theirs, Ct));
        Assert.Equal("request_not_found", (await AdminGetAsync(gateway, "admin/feedback/never-seen", HttpStatusCode.NotFound)).GetProperty("error").GetProperty("code").GetString());
        using var anonymous = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        using var unauthorised = await anonymous.GetAsync("admin/feedback/" + mine, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorised.StatusCode);
    }

    [Fact]
    public void IssuedRecently_OnlyTandemIdsOfTheLastMinutes_WaitForTheirRecord()
    {
        var now = new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
        string Id(DateTimeOffset t) => "req_" + Guid.CreateVersion7(t).ToString("N");

        Assert.True(Tandem.Server.Feedback.FeedbackEndpoints.IssuedRecently(Id(now.AddSeconds(-3)), now));
        Assert.True(Tandem.Server.Feedback.FeedbackEndpoints.IssuedRecently(Id(now.AddMinutes(-14)), now));
        Assert.False(Tandem.Server.Feedback.FeedbackEndpoints.IssuedRecently(Id(now.AddMinutes(-16)), now));
        Assert.False(Tandem.Server.Feedback.FeedbackEndpoints.IssuedRecently(Id(now.AddMinutes(1)), now));
        Assert.False(Tandem.Server.Feedback.FeedbackEndpoints.IssuedRecently("req_" + Guid.NewGuid().ToString("N"), now));
        Assert.False(Tandem.Server.Feedback.FeedbackEndpoints.IssuedRecently("my-own-id-123", now));
    }
}
