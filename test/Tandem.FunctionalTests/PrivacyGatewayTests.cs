using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Tandem.Storage;
using Tandem.Tests.Common;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>Encryption at rest and erasure of one end user through a running gateway (SQLite), and the CLI.</summary>
public sealed class PrivacyGatewayTests
{
    private const string AdminKey = "admin-key-privacy-1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Config(string keyFile) => $$"""
        auth:
          admin_key_sha256: {{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(AdminKey)))}}
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
        routes:
          - name: chat
            deployment: gpt
            capture: full
        privacy:
          encryption:
            keys:
              - id: k2026
                file: {{keyFile}}
            active: k2026
        """;

    [Fact]
    public async Task AdminErase_TwoUsers_OnlyTheErasedUsersRowsGoAndContentIsEncrypted()
    {
        using var keys = new TempDir("tandem-keys-");
        await File.WriteAllTextAsync(keys.File("content.key"), Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()) + "\n", Ct);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 5 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config(keys.File("content.key")), sim);
        await SendAsync(gateway, "alice", "req-alice", "PROMPT-OF-ALICE");
        await SendAsync(gateway, "bob", "req-bob", "PROMPT-OF-BOB");
        await gateway.WaitForRecordsAsync(2, Ct);

        // On disk: no prompt in clear, and every content row names its key.
        var database = gateway.App.Services.GetRequiredService<StorageDatabase>();
        var rows = await RawContentsAsync(database);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal("k2026", r.Key));
        Assert.DoesNotContain(rows, r => r.Prompt.Contains("PROMPT-OF", StringComparison.Ordinal));

        using var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using (var refused = await gateway.Http.PostAsync("admin/records/erase", Json("""{"user":"alice"}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var bad = await admin.PostAsync("admin/records/erase", Json("""{"user":""}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("user", (string?)JsonNode.Parse(await bad.Content.ReadAsStringAsync(Ct))!["error"]!["param"]);
        }

        using var erased = await admin.PostAsync("admin/records/erase", Json("""{"user":"alice"}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        Assert.Equal(
            """{"object":"erasure","before":{"records":1,"attempts":0,"contents":1,"feedback":0,"shadow_samples":0,"dictionary":1,"total":3},"after":{"records":0,"attempts":0,"contents":0,"feedback":0,"shadow_samples":0,"dictionary":0,"total":0},"complete":true}""",
            await erased.Content.ReadAsStringAsync(Ct));

        using var gone = await admin.GetAsync("admin/records/req-alice", Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var kept = await admin.GetAsync("admin/records/req-bob", Ct);
        var bob = JsonNode.Parse(await kept.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(("bob", true), ((string?)bob["end_user"], ((string?)bob["prompt_content"])!.Contains("PROMPT-OF-BOB", StringComparison.Ordinal)));
        // The erasure is logged without the id it erased.
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("Erased one end user: 3 rows referred to them, 0 remain", StringComparison.Ordinal));
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains("alice", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AdminRecord_WrittenUnderAKeyNoLongerListed_500NamingTheKey()
    {
        using var dir = new TempDir("tandem-keys-");
        await File.WriteAllTextAsync(dir.File("a.key"), Convert.ToBase64String(new byte[32]), Ct);
        await File.WriteAllTextAsync(dir.File("b.key"), Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray()), Ct);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 3 }, cancellationToken: Ct);
        var storage = $"\nstorage:\n  path: {dir.File("shared.db")}\n";
        await using (var first = await TestGateway.StartAsync(Config(dir.File("a.key")) + storage, sim))
        {
            await SendAsync(first, "carol", "req-carol", "hello");
            await first.WaitForRecordsAsync(1, Ct);
        }

        // The same database, now with only another key (same id k2026, other bytes): the content cannot be read.
        await using var second = await TestGateway.StartAsync(Config(dir.File("b.key")) + storage, sim);
        using var admin = new HttpClient { BaseAddress = second.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var response = await admin.GetAsync("admin/records/req-carol", Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["error"]!;
        Assert.Equal(("content_key_unavailable", "stored prompt does not decrypt with key 'k2026': the configured key is not the one it was written with, or the row was altered"),
            ((string?)error["code"], (string?)error["message"]));
    }

    private static async Task SendAsync(TestGateway gateway, string user, string requestId, string prompt)
    {
        var body = new JsonObject
        {
            ["model"] = "chat",
            ["user"] = user,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
        }.ToJsonString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(body) };
        request.Headers.Add("x-request-id", requestId);
        using var response = await gateway.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<List<(string Prompt, string? Key)>> RawContentsAsync(StorageDatabase database)
    {
        var connection = await database.OpenAsync(Ct);
        await using (connection)
        {
            return await Sql.QueryAsync(connection, "SELECT prompt, key_id FROM contents", Ct,
                r => (Convert.ToString(r.GetValue(0), CultureInfo.InvariantCulture)!, r.IsDBNull(1) ? null : r.GetString(1)));
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
