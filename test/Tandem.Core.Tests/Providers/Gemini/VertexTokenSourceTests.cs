using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tandem.Providers.Gemini;
using Tandem.Simulator;
using Xunit;

namespace Tandem.Core.Tests.Providers.Gemini;

/// <summary>The JWT bearer flow against the simulator's token endpoint, which checks signatures and times as Google does.</summary>
public sealed class VertexTokenSourceTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task GetTokenAsync_CachesTheToken_AndReplacesItFiveMinutesBeforeItExpires()
    {
        var time = new FakeTimeProvider(Start);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        sim.Time = time;
        using var dir = new TempDir();
        sim.WriteServiceAccountKey(dir.File("key.json"));
        Assert.True(ServiceAccountKey.TryLoad(dir.File("key.json"), out var key, out var problem), problem);
        using var tokens = new VertexTokenSource(key!, time);

        var first = await tokens.GetTokenAsync(Ct);
        var again = await tokens.GetTokenAsync(Ct);
        time.Advance(TimeSpan.FromMinutes(54));
        var stillCached = await tokens.GetTokenAsync(Ct);
        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1)); // 55:01 of a 60-minute token
        var replaced = await tokens.GetTokenAsync(Ct);

        Assert.StartsWith("ya29.sim-1-", first, StringComparison.Ordinal);
        Assert.Equal(first, again);
        Assert.Equal(first, stillCached);
        Assert.StartsWith("ya29.sim-2-", replaced, StringComparison.Ordinal);
        Assert.Equal(2, sim.TokensIssued);
    }

    [Fact]
    public async Task GetTokenAsync_ShortLivedTokens_ReplacedHalfwayThroughTheirLife()
    {
        var time = new FakeTimeProvider(Start);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        sim.Time = time;
        sim.AccessTokenLifetimeSeconds = 120;
        using var dir = new TempDir();
        sim.WriteServiceAccountKey(dir.File("key.json"));
        ServiceAccountKey.TryLoad(dir.File("key.json"), out var key, out _);
        using var tokens = new VertexTokenSource(key!, time);

        var first = await tokens.GetTokenAsync(Ct);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(first, await tokens.GetTokenAsync(Ct));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotEqual(first, await tokens.GetTokenAsync(Ct));
    }

    [Fact]
    public async Task Assertion_IsAnRs256JwtWithTheDocumentedClaims()
    {
        var time = new FakeTimeProvider(Start);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        using var dir = new TempDir();
        var email = sim.WriteServiceAccountKey(dir.File("key.json"));
        ServiceAccountKey.TryLoad(dir.File("key.json"), out var key, out _);
        using var tokens = new VertexTokenSource(key!, time);

        var parts = tokens.Assertion(time.GetUtcNow()).Split('.');

        Assert.Equal(3, parts.Length);
        JsonEqual($$"""{"alg":"RS256","typ":"JWT","kid":"{{key!.PrivateKeyId}}"}""", Encoding.UTF8.GetString(FromBase64Url(parts[0])));
        JsonEqual($$"""
            {"iss":"{{email}}","scope":"https://www.googleapis.com/auth/cloud-platform","aud":"{{sim.TokenUri}}","iat":1772366400,"exp":1772370000}
            """, Encoding.UTF8.GetString(FromBase64Url(parts[1])));
        using var rsa = RSA.Create();
        rsa.ImportFromPem((string)JsonNode.Parse(await File.ReadAllTextAsync(dir.File("key.json"), Ct))!["private_key"]!);
        Assert.True(rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), FromBase64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public async Task GetTokenAsync_KeyTheEndpointDoesNotKnow_ThrowsWithTheEndpointsError_NoKeyQuoted()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var other = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        using var dir = new TempDir();
        other.WriteServiceAccountKey(dir.File("key.json"));
        var text = (await File.ReadAllTextAsync(dir.File("key.json"), Ct)).Replace(other.TokenUri.ToString(), sim.TokenUri.ToString(), StringComparison.Ordinal);
        await File.WriteAllTextAsync(dir.File("key.json"), text, Ct);
        ServiceAccountKey.TryLoad(dir.File("key.json"), out var key, out _);
        using var tokens = new VertexTokenSource(key!, TimeProvider.System);

        var e = await Assert.ThrowsAsync<HttpRequestException>(async () => await tokens.GetTokenAsync(Ct));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal($"the service account's token request to {sim.TokenUri} was refused (HTTP 400: invalid_grant)", e.Message);
        Assert.Equal(0, sim.TokensIssued);
    }

    [Theory]
    [InlineData("""{"type":"authorized_user","client_id":"x"}""", "is a 'authorized_user' credential, not a service account key")]
    [InlineData("""{"type":"service_account","client_email":"a@b"}""", "lacks client_email or private_key")]
    [InlineData("""{"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}""", "private_key is not a PEM-encoded RSA key")]
    [InlineData("not json", "is not JSON")]
    public void TryLoad_NotAServiceAccountKey_SaysWhy(string content, string why)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("key.json"), content);

        Assert.False(ServiceAccountKey.TryLoad(dir.File("key.json"), out _, out var problem));
        Assert.Contains(why, problem, StringComparison.Ordinal);
        Assert.DoesNotContain("AAAA", problem, StringComparison.Ordinal);
    }

    private static byte[] FromBase64Url(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b.PadRight(b.Length + ((4 - (b.Length % 4)) % 4), '='));
    }

    private static void JsonEqual(string expected, string actual) => Recordings.JsonEqual(expected, actual);
}
