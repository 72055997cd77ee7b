using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Tandem.Simulator;

/// <summary>How the simulator's AWS endpoints (SageMaker, Bedrock) check the signatures they receive.</summary>
public sealed class AwsSimulatorOptions
{
    /// <summary>The example key of the simulator: <c>AKIDSIMULATOR</c>.</summary>
    public const string ExampleAccessKeyId = "AKIDSIMULATOR";

    /// <summary>The example secret of the simulator.</summary>
    public const string ExampleSecretAccessKey = "simulator/secret/EXAMPLEKEY";

    /// <summary>Access key id → secret key (and the session token that must come with it, for temporary credentials).</summary>
    public IReadOnlyDictionary<string, (string Secret, string? SessionToken)> Credentials { get; set; } =
        new Dictionary<string, (string, string?)> { [ExampleAccessKeyId] = (ExampleSecretAccessKey, null) };

    /// <summary>The region signatures must be scoped to; null accepts any.</summary>
    public string? Region { get; set; }

    /// <summary>The clock a request's <c>X-Amz-Date</c> is compared with.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>How far a request's date may be from the clock (AWS allows 15 minutes).</summary>
    public TimeSpan MaxSkew { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>
/// Checks an AWS Signature Version 4 <c>Authorization</c> header the way AWS does: the simulator's own
/// implementation (it shares no code with Tandem, so that it cannot agree with a bug in Tandem's signer). The
/// canonical request is rebuilt from what arrived: the raw request target, the signed headers' values and the body.
/// </summary>
internal static class AwsSigV4Verifier
{
    /// <summary>Null when the signature is valid; otherwise the AWS error type and message.</summary>
    public static (string Type, string Message)? Verify(HttpContext ctx, ReadOnlySpan<byte> body, string service, AwsSimulatorOptions options)
    {
        var authorization = ctx.Request.Headers.Authorization.ToString();
        const string prefix = "AWS4-HMAC-SHA256 ";
        if (!authorization.StartsWith(prefix, StringComparison.Ordinal))
        {
            return ("MissingAuthenticationTokenException", "Missing Authentication Token");
        }

        string? credential = null, signedHeaders = null, signature = null;
        foreach (var part in authorization[prefix.Length..].Split(',', StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                continue;
            }

            var value = part[(eq + 1)..];
            switch (part[..eq])
            {
                case "Credential":
                    credential = value;
                    break;
                case "SignedHeaders":
                    signedHeaders = value;
                    break;
                case "Signature":
                    signature = value;
                    break;
            }
        }

        var scope = credential?.Split('/');
        if (scope is not { Length: 5 } || scope[4] != "aws4_request" || signedHeaders is null || signature is null)
        {
            return ("IncompleteSignatureException", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.");
        }

        if (!options.Credentials.TryGetValue(scope[0], out var key))
        {
            return ("UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        var amzDate = ctx.Request.Headers["X-Amz-Date"].ToString();
        if (!DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
        {
            return ("IncompleteSignatureException", "The request must contain an X-Amz-Date header in the form yyyyMMddTHHmmssZ.");
        }

        if ((options.Time.GetUtcNow() - date).Duration() > options.MaxSkew)
        {
            return ("InvalidSignatureException", $"Signature expired: {amzDate} is not within {options.MaxSkew.TotalMinutes:0} minutes of the server's time.");
        }

        if (scope[1] != amzDate[..8] || scope[3] != service || (options.Region is { } region && scope[2] != region))
        {
            return ("InvalidSignatureException", $"Credential should be scoped to a valid region, service '{service}' and the date of X-Amz-Date; it is '{credential}'.");
        }

        var signed = signedHeaders.Split(';');
        if (!signed.Contains("host") || !signed.Contains("x-amz-date"))
        {
            return ("InvalidSignatureException", "The host and x-amz-date headers must be signed.");
        }

        if (key.SessionToken is { } token && (ctx.Request.Headers["X-Amz-Security-Token"].ToString() != token || !signed.Contains("x-amz-security-token")))
        {
            return ("UnrecognizedClientException", "The security token included in the request is invalid (temporary credentials need their signed session token).");
        }

        var canonical = CanonicalRequest(ctx, signed, body);
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{string.Join('/', scope[1..])}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var signingKey = Hmac(Hmac(Hmac(Hmac(Encoding.UTF8.GetBytes("AWS4" + key.Secret), scope[1]), scope[2]), scope[3]), "aws4_request");
        var expected = Hex(Hmac(signingKey, stringToSign));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            return ("InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. "
                + "The Canonical String for this request should have been\n'" + canonical + "'\n\nThe String-to-Sign should have been\n'" + stringToSign + "'");
        }

        return null;
    }

    private static string CanonicalRequest(HttpContext ctx, string[] signed, ReadOnlySpan<byte> body)
    {
        var target = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (ctx.Request.Path + ctx.Request.QueryString);
        var q = target.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? target : target[..q];
        var query = q < 0 ? "" : target[(q + 1)..];
        var sb = new StringBuilder();
        sb.Append(ctx.Request.Method).Append('\n');
        // Every service but S3 signs the path URI-encoded once more than it is on the wire.
        sb.Append(Encode(path, keepSlash: true)).Append('\n');
        var pairs = query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => (Name: Encode(Uri.UnescapeDataString(p[0]), false), Value: Encode(Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""), false)))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal);
        sb.Append(string.Join('&', pairs.Select(p => p.Name + "=" + p.Value))).Append('\n');
        foreach (var name in signed)
        {
            var values = ctx.Request.Headers[name].Select(v => string.Join(' ', (v ?? "").Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)));
            sb.Append(name).Append(':').Append(string.Join(',', values)).Append('\n');
        }

        sb.Append('\n').Append(string.Join(';', signed)).Append('\n');
        sb.Append(Hex(SHA256.HashData(body)));
        return sb.ToString();
    }

    private static string Encode(string value, bool keepSlash)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.' or '_' or '~' || (keepSlash && c == '/'))
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
