using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// A full run with known secrets (client keys, a wrong key, the admin key, an upstream key, the content key, the
/// end-user salt), every log line captured at Trace, and none of the secrets in any line.
/// </summary>
public sealed class SecretsNotLoggedTests
{
    private const string ClientKey = "sk-client-S3CRET-5a5a5a5a";
    private const string WrongClientKey = "sk-guess-S3CRET-0b0b0b0b";
    private const string AdminKey = "adm-S3CRET-7c7c7c7c";
    private const string UpstreamKey = "sk-upstream-S3CRET-1d1d1d1d";
    private const string WrongUpstreamKey = "sk-upstream-wrong-S3CRET-2e2e2e2e";
    private const string Salt = "salt-S3CRET-3f3f3f3f";

    [Fact]
    public async Task FullRun_EveryLogLine_HoldsNoSecret()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_SECRETS_UPSTREAM_KEY", UpstreamKey);
        Environment.SetEnvironmentVariable("TANDEM_TEST_SECRETS_WRONG_UPSTREAM_KEY", WrongUpstreamKey);
        Environment.SetEnvironmentVariable("TANDEM_TEST_SECRETS_SALT", Salt);
        using var keys = new TempDir("tandem-secrets-");
        var contentKey = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes("content key of this test")));
        await File.WriteAllTextAsync(keys.File("content.key"), contentKey, Ct);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { RequiredApiKey = UpstreamKey, OutputTokens = 4 }, cancellationToken: Ct);
        var config = $$"""
            auth:
              admin_key_sha256: {{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(AdminKey)))}}
              keys:
                - name: app
                  key: {{ClientKey}}
            providers:
              - name: sim
                base_url: {sim0}
                api_key_env: TANDEM_TEST_SECRETS_UPSTREAM_KEY
              - name: sim-wrong-key
                base_url: {sim0}
                api_key_env: TANDEM_TEST_SECRETS_WRONG_UPSTREAM_KEY
            deployments:
              - name: gpt
                provider: sim
                model: gpt-4o-mini-2024-07-18
              - name: refused
                provider: sim-wrong-key
                model: gpt-4o-mini-2024-07-18
            routes:
              - name: chat
                deployment: gpt
                capture: full
              - name: broken
                deployment: refused
            storage:
              hash_end_users: true
              end_user_salt_env: TANDEM_TEST_SECRETS_SALT
            privacy:
              encryption:
                keys: [{ id: k1, file: {{keys.File("content.key")}} }]
                active: k1
            """;
        await using var gateway = await TestGateway.StartAsync(config, o => o with { MinimumLogLevel = LogLevel.Trace }, [sim.V1.ToString()]);

        var chat = gateway.Chat("chat", ClientKey);
        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("hello")], new ChatCompletionOptions { EndUserId = "user-1" }, Ct);
        Assert.False(string.IsNullOrEmpty(completion.Content[0].Text));
        await foreach (var _ in chat.CompleteChatStreamingAsync([new UserChatMessage("stream please")], cancellationToken: Ct))
        {
        }

        await Assert.ThrowsAnyAsync<Exception>(() => gateway.Chat("chat", WrongClientKey).CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));
        await Assert.ThrowsAnyAsync<Exception>(() => gateway.Chat("broken", ClientKey).CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));
        await gateway.WaitForRecordsAsync(3, Ct);

        using var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using (var costs = await admin.GetAsync("admin/costs?since=1d", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, costs.StatusCode);
        }

        using (var erased = await admin.PostAsync("admin/records/erase", new StringContent("""{"user":"user-1"}""", Encoding.UTF8, "application/json"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        }

        using var wrongAdmin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        wrongAdmin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", WrongClientKey);
        using (var refused = await wrongAdmin.GetAsync("admin/deployments", Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        await gateway.App.StopAsync(Ct);
        var lines = gateway.Logs.Lines;
        // The capture works: start-up, the upstream refusal and the shutdown are all there.
        Assert.Contains(lines, l => l.Contains("Tandem.Configuration", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Record writer stopped", StringComparison.Ordinal));
        Assert.True(lines.Count >= 5, string.Join('\n', lines));
        foreach (var secret in (string[])[ClientKey, WrongClientKey, AdminKey, UpstreamKey, WrongUpstreamKey, Salt, contentKey, "S3CRET"])
        {
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }
}
