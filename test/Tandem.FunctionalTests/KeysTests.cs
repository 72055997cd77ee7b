using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>Virtual keys through the admin API, used with the official OpenAI SDK on a real Kestrel gateway, and their audit entries.</summary>
public sealed class KeysTests
{
    public const string AdminKey = "admin-key-for-keys-tests";

    // sha256 computed here, not by the gateway's code.
    public static readonly string AdminHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(AdminKey)));

    public static string Config => $$"""
        auth:
          admin_key_sha256: {{AdminHash}}
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - { name: sim, base_url: "{sim0}" }
        deployments:
          - { name: gpt, provider: sim, model: gpt-4o-mini }
          - { name: llama, provider: sim, model: llama }
        routes:
          - { name: chat, deployment: gpt }
          - { name: other, deployment: llama }
        """;

    public static HttpClient Admin(Uri gateway, string key = AdminKey)
    {
        var http = new HttpClient { BaseAddress = gateway };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    public static async Task<JsonElement> CreateKeyAsync(HttpClient admin, string body)
    {
        using var response = await admin.PostAsync("admin/keys", Json(body), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<HttpStatusCode> ChatStatusAsync(TestGateway gateway, string key, string model = "chat")
    {
        using var http = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.PostAsync("v1/chat/completions", Json($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}"""), Ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task CreatedKey_WorksWithTheOpenAiSdk_IsShownOnce_AndIsRecordedUnderItsName()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, sim);
        using var admin = Admin(gateway.App.BaseAddress);

        var created = await CreateKeyAsync(admin, """{"name":"cards-bot","owner":"ana@example.com","team":"cards","routes":["chat"],"metadata":{"cost_center":"cc-7"}}""");
        var secret = created.GetProperty("key").GetString()!;
        var id = created.GetProperty("id").GetString()!;

        Assert.Matches("^tdm-[A-Za-z0-9_-]{43}$", secret);
        Assert.Matches("^vk_[0-9a-f]{16}$", id);
        Assert.Equal(("cards-bot", "ana@example.com", "cards", secret[..8], "cc-7"),
            (created.GetProperty("name").GetString(), created.GetProperty("owner").GetString(), created.GetProperty("team").GetString(),
             created.GetProperty("prefix").GetString(), created.GetProperty("metadata").GetProperty("cost_center").GetString()));

        ChatCompletion completion = await gateway.Chat("chat", secret).CompleteChatAsync([new UserChatMessage("hello")], cancellationToken: Ct);
        Assert.False(string.IsNullOrEmpty(completion.Content[0].Text));

        // The route list holds: another route is "not found" for this key, as for a configuration key.
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => gateway.Chat("other", secret).CompleteChatAsync([new UserChatMessage("hello")], cancellationToken: Ct));
        Assert.Equal(404, refused.Status);

        // Listed without its secret or hash; the secret is nowhere in the list.
        var list = await admin.GetStringAsync("admin/keys", Ct);
        Assert.DoesNotContain(secret, list, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))), list, StringComparison.Ordinal);
        var listed = JsonDocument.Parse(list).RootElement.GetProperty("keys");
        Assert.Equal(id, Assert.Single(listed.EnumerateArray()).GetProperty("id").GetString());
        Assert.False(listed[0].TryGetProperty("key", out _));

        using var http = Admin(gateway.App.BaseAddress, secret);
        using var response = await http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var record = await gateway.RecordAsync(response.Headers.GetValues("x-request-id").Single(), Ct);
        Assert.Equal("cards-bot", record.Key);
    }

    [Fact]
    public async Task Revoke_IsRefusedAtOnce_AndRotate_ReplacesTheKey_WithAGracePeriodWhenAsked()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, sim);
        using var admin = Admin(gateway.App.BaseAddress);
        var a = await CreateKeyAsync(admin, """{"name":"a"}""");
        var b = await CreateKeyAsync(admin, """{"name":"b"}""");
        var aSecret = a.GetProperty("key").GetString()!;
        var bSecret = b.GetProperty("key").GetString()!;
        Assert.Equal(HttpStatusCode.OK, await ChatStatusAsync(gateway, aSecret));

        using (var revoked = await admin.PostAsync($"admin/keys/{a.GetProperty("id").GetString()}/revoke", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
            Assert.Equal(JsonValueKind.String, JsonDocument.Parse(await revoked.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("revoked_at").ValueKind);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await ChatStatusAsync(gateway, aSecret));

        // Rotation without grace: the old key stops at once, the new one works.
        using var rotated = await admin.PostAsync($"admin/keys/{b.GetProperty("id").GetString()}/rotate", null, Ct);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var body = JsonDocument.Parse(await rotated.Content.ReadAsStringAsync(Ct)).RootElement;
        var next = body.GetProperty("key");
        Assert.Equal(("b", b.GetProperty("id").GetString()), (next.GetProperty("name").GetString(), next.GetProperty("rotated_from").GetString()));
        Assert.Equal(JsonValueKind.String, body.GetProperty("replaced").GetProperty("revoked_at").ValueKind);
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatStatusAsync(gateway, bSecret));
        var nextSecret = next.GetProperty("key").GetString()!;
        Assert.Equal(HttpStatusCode.OK, await ChatStatusAsync(gateway, nextSecret));

        // Rotation with a grace period: both keys work until it ends.
        using var graceful = await admin.PostAsync($"admin/keys/{next.GetProperty("id").GetString()}/rotate", Json("""{"grace":"10m"}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, graceful.StatusCode);
        var third = JsonDocument.Parse(await graceful.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(JsonValueKind.String, third.GetProperty("replaced").GetProperty("expires_at").ValueKind);
        Assert.Equal(HttpStatusCode.OK, await ChatStatusAsync(gateway, nextSecret));
        Assert.Equal(HttpStatusCode.OK, await ChatStatusAsync(gateway, third.GetProperty("key").GetProperty("key").GetString()!));

        // A revoked key cannot be rotated; an unknown one is 404.
        using var again = await admin.PostAsync($"admin/keys/{a.GetProperty("id").GetString()}/rotate", null, Ct);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var unknown = await admin.DeleteAsync("admin/keys/vk_0000000000000000", Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var error = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error");
        Assert.Equal(("No key with id 'vk_0000000000000000'.", "invalid_request_error", "id", "key_not_found"),
            (error.GetProperty("message").GetString(), error.GetProperty("type").GetString(), error.GetProperty("param").GetString(), error.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task ExpiringKey_IsRefusedFromItsExpiry()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, o => o with { Time = time }, [sim.V1.ToString()]);
        using var admin = Admin(gateway.App.BaseAddress);
        var key = await CreateKeyAsync(admin, """{"name":"short","expires_in":"1h"}""");

        Assert.Equal("2026-12-01T10:00:00+00:00", key.GetProperty("expires_at").GetString());
        time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(HttpStatusCode.OK, await ChatStatusAsync(gateway, key.GetProperty("key").GetString()!));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatStatusAsync(gateway, key.GetProperty("key").GetString()!));
    }

    [Theory]
    [InlineData("not json", "body", "The body is not valid JSON.")]
    [InlineData("[]", "body", "The body must be a JSON object such as {\"name\": \"team-a-app\"}.")]
    [InlineData("{}", "name", "name is required (1 to 100 characters).")]
    [InlineData("""{"name":"a","color":"red"}""", "color", "Unknown field 'color'; known: name, owner, team, role, routes, metadata, expires_at, expires_in.")]
    [InlineData("""{"name":"a","role":"root"}""", "role", "role must be one of viewer, operator, admin (or null for an API key).")]
    [InlineData("""{"name":"a","routes":["nope"]}""", "routes", "'nope' is neither a route nor a deployment of the current configuration.")]
    [InlineData("""{"name":"a","routes":"chat"}""", "routes", "routes must be an array of route or deployment names.")]
    [InlineData("""{"name":"a","metadata":{"n":1}}""", "metadata", "metadata must be an object of string values.")]
    [InlineData("""{"name":"a","expires_in":"soon"}""", "expires_in", "'soon' is not a duration such as 30d, 12h or 90m (longest 3660d).")]
    [InlineData("""{"name":"a","expires_at":"2001-01-01T00:00:00Z"}""", "expires_at", "expires_at is in the past.")]
    [InlineData("""{"name":"a","expires_at":"2031-01-01T00:00:00Z","expires_in":"1d"}""", "expires_in", "Give expires_at or expires_in, not both.")]
    [InlineData("""{"name":"a","role":"viewer","routes":["chat"]}""", "routes", "An admin key (with a role) does not call routes; leave routes out.")]
    [InlineData("""{"name":"a","team":""}""", "team", "team must not be empty when given.")]
    public async Task Create_BadInput_Is400NamingTheField(string body, string param, string message)
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, sim);
        using var admin = Admin(gateway.App.BaseAddress);

        using var response = await admin.PostAsync("admin/keys", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error");
        Assert.Equal((param, message, "invalid_parameter"), (error.GetProperty("param").GetString(), error.GetProperty("message").GetString(), error.GetProperty("code").GetString()));
        Assert.Empty(JsonDocument.Parse(await admin.GetStringAsync("admin/keys?include_revoked=true", Ct)).RootElement.GetProperty("keys").EnumerateArray());
    }

    [Fact]
    public async Task EveryKeyChange_IsAudited_WithActorObjectBeforeAndAfter_AndQueryable()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, sim);
        using var admin = Admin(gateway.App.BaseAddress);
        var ops = await CreateKeyAsync(admin, """{"name":"ops-bot","role":"operator"}""");
        var app = await CreateKeyAsync(admin, """{"name":"app"}""");
        var appId = app.GetProperty("id").GetString()!;
        using var opsAdmin = Admin(gateway.App.BaseAddress, ops.GetProperty("key").GetString()!);

        using (var denied = await opsAdmin.PostAsync($"admin/keys/{appId}/revoke", null, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
            Assert.Equal("""{"error":{"message":"This admin key has the role operator; key.revoke needs admin.","type":"invalid_request_error","param":null,"code":"permission_denied"}}""",
                await denied.Content.ReadAsStringAsync(Ct));
        }

        using (var revoked = await admin.DeleteAsync($"admin/keys/{appId}", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        var entries = JsonDocument.Parse(await admin.GetStringAsync($"admin/audit?object=key:{appId}", Ct)).RootElement.GetProperty("entries");
        // The entry is appended once the action's answer is written, so two actions a client makes back to back may be
        // appended in either order: compare the entries as a set, then each by what it is.
        Assert.Equal([("admin", "key.create", 201), ("admin", "key.revoke", 200), ("ops-bot", "key.revoke", 403)],
            entries.EnumerateArray().Select(e => (e.GetProperty("actor").GetString(), e.GetProperty("action").GetString(), e.GetProperty("status").GetInt32())).Order());
        JsonElement Entry(string actor, string action) => entries.EnumerateArray().Single(e => e.GetProperty("actor").GetString() == actor && e.GetProperty("action").GetString() == action);
        var revoke = Entry("admin", "key.revoke");
        Assert.Equal(JsonValueKind.Null, revoke.GetProperty("before").GetProperty("revoked_at").ValueKind);
        Assert.Equal(JsonValueKind.String, revoke.GetProperty("after").GetProperty("revoked_at").ValueKind);
        Assert.Equal(ops.GetProperty("id").GetString(), Entry("ops-bot", "key.revoke").GetProperty("actor_key_id").GetString());
        var create = Entry("admin", "key.create");
        Assert.Equal(JsonValueKind.Null, create.GetProperty("before").ValueKind);
        Assert.Equal("app", create.GetProperty("after").GetProperty("name").GetString());
        // The secret never reaches the audit log.
        var all = await admin.GetStringAsync("admin/audit", Ct);
        Assert.DoesNotContain(app.GetProperty("key").GetString()!, all, StringComparison.Ordinal);
        Assert.DoesNotContain(ops.GetProperty("key").GetString()!, all, StringComparison.Ordinal);

        // By actor, and paged.
        var byOps = JsonDocument.Parse(await admin.GetStringAsync("admin/audit?actor=ops-bot", Ct)).RootElement.GetProperty("entries");
        Assert.Equal(["key.revoke"], byOps.EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        var page = JsonDocument.Parse(await admin.GetStringAsync("admin/audit?limit=2", Ct)).RootElement;
        Assert.Equal(2, page.GetProperty("entries").GetArrayLength());
        var rest = JsonDocument.Parse(await admin.GetStringAsync($"admin/audit?limit=2&before={page.GetProperty("next_before").GetInt64()}", Ct)).RootElement;
        // The two pages hold the four entries once each.
        Assert.Equal(["key.create", "key.create", "key.revoke", "key.revoke"],
            page.GetProperty("entries").EnumerateArray().Concat(rest.GetProperty("entries").EnumerateArray()).Select(e => e.GetProperty("action").GetString()).Order());
        Assert.Equal(4, page.GetProperty("entries").EnumerateArray().Concat(rest.GetProperty("entries").EnumerateArray()).Select(e => e.GetProperty("id").GetInt64()).Distinct().Count());
        using var bad = await admin.GetAsync("admin/audit?since=yesterday", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}
