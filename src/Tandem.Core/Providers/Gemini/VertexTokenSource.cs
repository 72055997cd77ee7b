using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Tandem.Providers.Gemini;

/// <summary>
/// OAuth2 access tokens for a Google service account (RFC 7523, the JWT bearer grant, as Google documents it for
/// server-to-server calls): a JWT signed with the account's RSA key (RS256) is exchanged at the key file's
/// <c>token_uri</c> for an access token, which is cached and replaced before it expires. One per provider; thread-safe.
/// </summary>
/// <remarks>
/// <code>
///   cached token valid beyond the refresh margin? ─► use it
///   else (one caller at a time): sign { iss: client_email, scope, aud: token_uri, iat: now, exp: now + 1 h }
///        ─► POST token_uri grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&amp;assertion=JWT
///        ─► { access_token, expires_in } cached until now + expires_in
/// </code>
/// A failed exchange throws <see cref="HttpRequestException"/>, which the seam treats as a connection failure of the
/// try (retried, then another deployment). The key never leaves the process and is never logged.
/// </remarks>
internal sealed class VertexTokenSource : IDisposable
{
    /// <summary>The scope Vertex AI accepts.</summary>
    public const string Scope = "https://www.googleapis.com/auth/cloud-platform";

    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan LongestMargin = TimeSpan.FromMinutes(5);

    // One client for every token exchange of the process: few requests, to few hosts; a handler per provider would
    // outlive reloads (adapters are not disposed), and PooledConnectionLifetime keeps DNS changes visible.
    private static readonly HttpClient SharedHttp = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    private readonly ServiceAccountKey _key;
    private readonly TimeProvider _time;
    private readonly HttpMessageInvoker _http;
    private readonly RSA _rsa;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile CachedToken? _current;

    public VertexTokenSource(ServiceAccountKey key, TimeProvider time, HttpMessageInvoker? http = null)
    {
        _key = key;
        _time = time;
        _http = http ?? SharedHttp;
        _rsa = RSA.Create();
        _rsa.ImportFromPem(key.PrivateKeyPem);
    }

    /// <summary>The current token without fetching one (null when none is valid), for calls that cannot wait.</summary>
    public string? Cached => _current is { } c && _time.GetUtcNow() < c.RefreshAt ? c.Token : null;

    /// <summary>A valid access token: the cached one, or a new one when it is within its refresh margin.</summary>
    /// <exception cref="HttpRequestException">The token endpoint refused or could not be reached.</exception>
    public async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (Cached is { } token)
        {
            return token;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Cached is { } fresh)
            {
                return fresh; // another caller fetched it while this one waited
            }

            var next = await FetchAsync(cancellationToken).ConfigureAwait(false);
            _current = next;
            return next.Token;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The signed assertion for <paramref name="now"/>.</summary>
    internal string Assertion(DateTimeOffset now)
    {
        var header = new Dictionary<string, string> { ["alg"] = "RS256", ["typ"] = "JWT" };
        if (_key.PrivateKeyId is { Length: > 0 } kid)
        {
            header["kid"] = kid;
        }

        var issued = now.ToUnixTimeSeconds();
        var claims = new MemoryStream();
        using (var w = new Utf8JsonWriter(claims))
        {
            w.WriteStartObject();
            w.WriteString("iss", _key.ClientEmail);
            w.WriteString("scope", Scope);
            w.WriteString("aud", _key.TokenUri.ToString());
            w.WriteNumber("iat", issued);
            w.WriteNumber("exp", issued + (long)Lifetime.TotalSeconds);
            w.WriteEndObject();
        }

        var headerJson = new MemoryStream();
        using (var w = new Utf8JsonWriter(headerJson))
        {
            w.WriteStartObject();
            foreach (var (name, value) in header)
            {
                w.WriteString(name, value);
            }

            w.WriteEndObject();
        }

        var signingInput = Base64Url(headerJson.ToArray()) + "." + Base64Url(claims.ToArray());
        var signature = _rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private async Task<CachedToken> FetchAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, _key.TokenUri)
        {
            Content = new FormUrlEncodedContent(
            [
                new("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                new("assertion", Assertion(now)),
            ]),
        };
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"the service account's token request to {_key.TokenUri.GetLeftPart(UriPartial.Path)} was refused (HTTP {(int)response.StatusCode}{ErrorOf(body)})",
                null, response.StatusCode);
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var token = root.GetProperty("access_token").GetString();
            var expiresIn = root.TryGetProperty("expires_in", out var e) && e.TryGetInt64(out var seconds) ? TimeSpan.FromSeconds(seconds) : Lifetime;
            if (string.IsNullOrEmpty(token) || expiresIn <= TimeSpan.Zero)
            {
                throw new HttpRequestException("the token endpoint answered without an access token");
            }

            // Replace the token before it expires: 5 minutes early, or halfway through a shorter lifetime.
            var margin = expiresIn / 2 < LongestMargin ? expiresIn / 2 : LongestMargin;
            return new CachedToken(token, now + expiresIn - margin);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new HttpRequestException("the token endpoint's answer is not an OAuth2 token response", ex, HttpStatusCode.BadGateway);
        }
    }

    private static string ErrorOf(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? ": " + e.GetString() : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        _rsa.Dispose();
        _gate.Dispose();
    }

    private sealed record CachedToken(string Token, DateTimeOffset RefreshAt);
}
