using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tandem.Simulator;

/// <summary>
/// Google's OAuth2 token endpoint for service accounts, as Vertex AI clients use it: <c>POST /oauth2/token</c> with
/// <c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer</c> and a JWT signed (RS256) with the key of a service
/// account the simulator issued (<see cref="WriteServiceAccountKey"/>). The signature, issuer, audience, scope and
/// times are checked; the access token it returns is required by the Vertex AI endpoints until it expires.
/// </summary>
public sealed partial class SimulatorServer
{
    private readonly ConcurrentDictionary<string, RSA> _serviceAccounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _accessTokens = new(StringComparer.Ordinal);
    private long _tokensIssued;

    /// <summary>The clock of token lifetimes (tests share a fake one with the gateway).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Seconds an issued access token lives (Google's are 3600).</summary>
    public int AccessTokenLifetimeSeconds { get; set; } = 3600;

    /// <summary>Access tokens issued so far.</summary>
    public long TokensIssued => Interlocked.Read(ref _tokensIssued);

    /// <summary>The token endpoint, as written into the key files.</summary>
    public Uri TokenUri => new(BaseAddress, "oauth2/token");

    /// <summary>
    /// Writes a new service account's JSON key file (a fresh RSA key, <c>token_uri</c> pointing at this simulator) to
    /// <paramref name="path"/>, as Google's console would download it; returns the account's email.
    /// </summary>
    public string WriteServiceAccountKey(string path, string name = "tandem-sim")
    {
        var email = $"{name}@simulated-project.iam.gserviceaccount.com";
        var rsa = RSA.Create(2048);
        _serviceAccounts[email] = rsa;
        using var file = File.Create(path);
        using var w = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("type", "service_account");
        w.WriteString("project_id", "simulated-project");
        w.WriteString("private_key_id", Convert.ToHexString(RandomNumberGenerator.GetBytes(20)).ToLowerInvariant());
        w.WriteString("private_key", rsa.ExportPkcs8PrivateKeyPem() + "\n");
        w.WriteString("client_email", email);
        w.WriteString("client_id", "100000000000000000001");
        w.WriteString("auth_uri", "https://accounts.google.com/o/oauth2/auth");
        w.WriteString("token_uri", TokenUri.ToString());
        w.WriteEndObject();
        return email;
    }

    private void MapVertexTokens(WebApplication app) => app.MapPost("/oauth2/token", IssueTokenAsync);

    private async Task IssueTokenAsync(HttpContext ctx)
    {
        var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted).ConfigureAwait(false);
        if (form["grant_type"].ToString() != "urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            await TokenErrorAsync(ctx, "unsupported_grant_type", "Invalid grant_type").ConfigureAwait(false);
            return;
        }

        if (CheckAssertion(form["assertion"].ToString()) is { } bad)
        {
            await TokenErrorAsync(ctx, "invalid_grant", bad).ConfigureAwait(false);
            return;
        }

        var token = "ya29.sim-" + Interlocked.Increment(ref _tokensIssued).ToString(CultureInfo.InvariantCulture) + "-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        _accessTokens[token] = Time.GetUtcNow().AddSeconds(AccessTokenLifetimeSeconds);
        await WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("access_token", token);
            w.WriteNumber("expires_in", AccessTokenLifetimeSeconds);
            w.WriteString("token_type", "Bearer");
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="authorization"/> carries an access token this simulator issued and that has not expired.</summary>
    private bool IsValidAccessToken(string authorization) =>
        authorization.StartsWith("Bearer ", StringComparison.Ordinal)
        && _accessTokens.TryGetValue(authorization["Bearer ".Length..], out var expires)
        && Time.GetUtcNow() < expires;

    /// <summary>What is wrong with a JWT assertion, in the words of Google's token endpoint; null when it is good.</summary>
    private string? CheckAssertion(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe";
        }

        try
        {
            using var header = JsonDocument.Parse(FromBase64Url(parts[0]));
            using var claims = JsonDocument.Parse(FromBase64Url(parts[1]));
            if (header.RootElement.GetProperty("alg").GetString() != "RS256")
            {
                return "Invalid JWT: unsupported algorithm";
            }

            var c = claims.RootElement;
            var iss = c.GetProperty("iss").GetString() ?? "";
            if (!_serviceAccounts.TryGetValue(iss, out var rsa))
            {
                return "Invalid JWT Signature.";
            }

            var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
            if (!rsa.VerifyData(signed, FromBase64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                return "Invalid JWT Signature.";
            }

            if (c.GetProperty("aud").GetString() != TokenUri.ToString())
            {
                return "Invalid JWT: Failed audience check.";
            }

            if (!(c.GetProperty("scope").GetString() ?? "").Split(' ').Contains("https://www.googleapis.com/auth/cloud-platform"))
            {
                return "Invalid OAuth scope or ID token audience provided.";
            }

            var now = Time.GetUtcNow().ToUnixTimeSeconds();
            var iat = c.GetProperty("iat").GetInt64();
            var exp = c.GetProperty("exp").GetInt64();
            if (iat > now + 300 || exp <= now || exp - iat > 3600)
            {
                return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";
            }

            return null;
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or CryptographicException)
        {
            return "Invalid JWT: malformed";
        }
    }

    private static byte[] FromBase64Url(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b.PadRight(b.Length + ((4 - (b.Length % 4)) % 4), '='));
    }

    private static Task TokenErrorAsync(HttpContext ctx, string error, string description) => WriteJsonAsync(ctx, 400, w =>
    {
        w.WriteStartObject();
        w.WriteString("error", error);
        w.WriteString("error_description", description);
        w.WriteEndObject();
    });
}
