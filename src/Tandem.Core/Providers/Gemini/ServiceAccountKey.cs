using System.Security.Cryptography;
using System.Text.Json;

namespace Tandem.Providers.Gemini;

/// <summary>
/// A Google service account's JSON key file (<c>"type": "service_account"</c>): who signs (<c>client_email</c>), with
/// which RSA private key (<c>private_key</c>, PEM), and where the signed assertion is exchanged for an access token
/// (<c>token_uri</c>).
/// </summary>
internal sealed record ServiceAccountKey(string ClientEmail, string PrivateKeyPem, string? PrivateKeyId, Uri TokenUri)
{
    /// <summary>Reads and checks a key file; false with a problem (never quoting the key) when it cannot be used.</summary>
    public static bool TryLoad(string path, out ServiceAccountKey? key, out string problem)
    {
        key = null;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problem = $"cannot read the service account key file '{path}': {e.Message}";
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            string? Field(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            if (Field("type") is { } type && type != "service_account")
            {
                problem = $"'{path}' is a '{type}' credential, not a service account key";
                return false;
            }

            var email = Field("client_email");
            var pem = Field("private_key");
            var tokenUri = Field("token_uri") ?? "https://oauth2.googleapis.com/token";
            if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(pem))
            {
                problem = $"'{path}' lacks client_email or private_key: it is not a service account key file";
                return false;
            }

            if (!Uri.TryCreate(tokenUri, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                problem = $"'{path}': token_uri '{tokenUri}' is not an http(s) URL";
                return false;
            }

            using (var rsa = RSA.Create())
            {
                rsa.ImportFromPem(pem);
            }

            key = new ServiceAccountKey(email, pem, Field("private_key_id"), uri);
            problem = "";
            return true;
        }
        catch (JsonException)
        {
            problem = $"'{path}' is not JSON: it is not a service account key file";
            return false;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            problem = $"'{path}': private_key is not a PEM-encoded RSA key";
            return false;
        }
    }
}
