using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Tandem.Providers.Aws;

/// <summary>The parts of an HTTP request that Signature Version 4 signs.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path as sent on the wire (percent-encoded where the URL is).</param>
/// <param name="Query">The query string without <c>?</c>; empty when there is none.</param>
/// <param name="Headers">The headers to sign, in the order sent (a name may repeat).</param>
/// <param name="PayloadHash">Lower-case hex SHA-256 of the body.</param>
internal sealed record SigV4Request(string Method, string Path, string Query, IReadOnlyList<KeyValuePair<string, string>> Headers, string PayloadHash);

/// <summary>How to sign.</summary>
/// <param name="KeepPathAsSent">
/// Sign the path as sent, without removing dot segments and repeated slashes (S3 only; every other service normalizes).
/// </param>
/// <param name="SignPayloadHeader">Add and sign <c>x-amz-content-sha256</c> (S3 and some others require it).</param>
/// <param name="OmitSessionToken">
/// Add the session token after signing instead of signing it (the few services that want it so).
/// </param>
internal readonly record struct SigV4Options(bool KeepPathAsSent = false, bool SignPayloadHeader = false, bool OmitSessionToken = false);

/// <summary>A signature with the intermediate forms (kept for tests and for error messages that explain a mismatch).</summary>
/// <param name="CanonicalRequest">The canonical request.</param>
/// <param name="StringToSign">The string to sign.</param>
/// <param name="Signature">Lower-case hex HMAC-SHA256 of the string to sign.</param>
/// <param name="Authorization">The <c>Authorization</c> header value (header signing) or null (query signing).</param>
/// <param name="Added">
/// What the request needs added: headers for header signing (<c>X-Amz-Security-Token</c>, <c>X-Amz-Date</c>,
/// <c>x-amz-content-sha256</c>, <c>Authorization</c>); query parameters, encoded, for query signing.
/// </param>
internal sealed record SigV4Signature(string CanonicalRequest, string StringToSign, string Signature, string? Authorization, IReadOnlyList<KeyValuePair<string, string>> Added);

/// <summary>
/// AWS Signature Version 4 (<c>AWS4-HMAC-SHA256</c>): canonical request, string to sign, signing key and signature,
/// for the <c>Authorization</c> header or a presigned URL. Checked byte for byte against every case of both AWS
/// signing test suites.
/// </summary>
/// <remarks>
/// <code>
///   canonical request = method \n canonical path \n canonical query \n canonical headers \n signed headers \n payload hash
///   string to sign    = AWS4-HMAC-SHA256 \n yyyyMMddTHHmmssZ \n date/region/service/aws4_request \n hex(sha256(canonical request))
///   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
///   signature         = hex(HMAC(signing key, string to sign))
/// </code>
/// </remarks>
internal sealed class SigV4Signer
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>Hex SHA-256 of an empty body.</summary>
    public const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    // The signing key changes once a day per secret: derived once (four HMACs), not per request.
    private volatile CachedKey? _key;

    public SigV4Signer(string region, string service)
    {
        ArgumentException.ThrowIfNullOrEmpty(region);
        ArgumentException.ThrowIfNullOrEmpty(service);
        Region = region;
        Service = service;
    }

    public string Region { get; }

    public string Service { get; }

    /// <summary>Signs for the <c>Authorization</c> header.</summary>
    public SigV4Signature SignHeaders(SigV4Request request, AwsCredentials credentials, DateTimeOffset time, SigV4Options options = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(credentials);
        var amzDate = AmzDate(time);
        var added = new List<KeyValuePair<string, string>>(4);
        var signed = new List<KeyValuePair<string, string>>(request.Headers.Count + 3);
        signed.AddRange(request.Headers);
        if (credentials.SessionToken is { } token)
        {
            added.Add(new("X-Amz-Security-Token", token));
            if (!options.OmitSessionToken)
            {
                signed.Add(new("X-Amz-Security-Token", token));
            }
        }

        added.Add(new("X-Amz-Date", amzDate));
        signed.Add(new("X-Amz-Date", amzDate));
        if (options.SignPayloadHeader)
        {
            added.Add(new("x-amz-content-sha256", request.PayloadHash));
            signed.Add(new("x-amz-content-sha256", request.PayloadHash));
        }

        var sb = new StringBuilder(512);
        var signedHeaders = AppendCanonicalRequest(sb, request.Method, request.Path, request.Query, null, signed, request.PayloadHash, !options.KeepPathAsSent);
        var canonical = sb.ToString();
        var scope = Scope(amzDate);
        var stringToSign = StringToSign(amzDate, scope, canonical);
        var signature = Sign(credentials.SecretAccessKey, amzDate, stringToSign);
        var authorization = $"{Algorithm} Credential={credentials.AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}";
        added.Add(new("Authorization", authorization));
        return new SigV4Signature(canonical, stringToSign, signature, authorization, added);
    }

    /// <summary>Signs for a presigned URL: the returned parameters (encoded) are appended to the query in order.</summary>
    public SigV4Signature Presign(SigV4Request request, AwsCredentials credentials, DateTimeOffset time, TimeSpan expires, SigV4Options options = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(credentials);
        var amzDate = AmzDate(time);
        var scope = Scope(amzDate);
        var signedHeaders = SignedHeaderList(request.Headers);
        var seconds = ((long)expires.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var parameters = new List<KeyValuePair<string, string>>(7)
        {
            new("X-Amz-Algorithm", Algorithm),
            new("X-Amz-Credential", credentials.AccessKeyId + "/" + scope),
            new("X-Amz-Date", amzDate),
            new("X-Amz-SignedHeaders", signedHeaders),
            new("X-Amz-Expires", seconds),
        };
        if (credentials.SessionToken is { } token && !options.OmitSessionToken)
        {
            parameters.Add(new("X-Amz-Security-Token", token));
        }

        var sb = new StringBuilder(512);
        AppendCanonicalRequest(sb, request.Method, request.Path, request.Query, parameters, request.Headers, request.PayloadHash, !options.KeepPathAsSent);
        var canonical = sb.ToString();
        var stringToSign = StringToSign(amzDate, scope, canonical);
        var signature = Sign(credentials.SecretAccessKey, amzDate, stringToSign);
        if (credentials.SessionToken is { } late && options.OmitSessionToken)
        {
            parameters.Add(new("X-Amz-Security-Token", late));
        }

        parameters.Add(new("X-Amz-Signature", signature));
        var encoded = parameters.Select(p => new KeyValuePair<string, string>(p.Key, SigV4Canonical.Encode(p.Value))).ToArray();
        return new SigV4Signature(canonical, stringToSign, signature, null, encoded);
    }

    /// <summary>The canonical request (for tests of the canonical forms on their own).</summary>
    public static string CanonicalRequest(SigV4Request request, bool normalizePath)
    {
        ArgumentNullException.ThrowIfNull(request);
        var sb = new StringBuilder(512);
        AppendCanonicalRequest(sb, request.Method, request.Path, request.Query, null, request.Headers, request.PayloadHash, normalizePath);
        return sb.ToString();
    }

    /// <summary>The <c>x-amz-date</c> form of a time: <c>20150830T123600Z</c>.</summary>
    public static string AmzDate(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The credential scope of a request signed at <paramref name="amzDate"/>.</summary>
    public string Scope(string amzDate) => $"{amzDate[..8]}/{Region}/{Service}/aws4_request";

    /// <summary>The string to sign of a canonical request.</summary>
    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        $"{Algorithm}\n{amzDate}\n{scope}\n{HexSha256(canonicalRequest)}";

    /// <summary>Lower-case hex SHA-256 of the UTF-8 bytes of <paramref name="text"/>.</summary>
    private static string HexSha256(string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        var rented = length <= 1024 ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        Span<byte> bytes = rented ?? stackalloc byte[1024];
        try
        {
            var n = Encoding.UTF8.GetBytes(text, bytes);
            return HexSha256(bytes[..n]);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Lower-case hex SHA-256 of <paramref name="data"/>.</summary>
    public static string HexSha256(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The signature of <paramref name="stringToSign"/> with the key of <paramref name="secret"/> for the day of <paramref name="amzDate"/>.</summary>
    public string Sign(string secret, string amzDate, string stringToSign)
    {
        var key = SigningKey(secret, amzDate[..8]);
        Span<byte> data = stackalloc byte[512];
        var bytes = Encoding.UTF8.GetByteCount(stringToSign) <= data.Length ? data[..Encoding.UTF8.GetBytes(stringToSign, data)] : Encoding.UTF8.GetBytes(stringToSign);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, bytes, mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>The signing key of <paramref name="secret"/> for one day (<c>yyyyMMdd</c>), region and service.</summary>
    public byte[] SigningKey(string secret, string date)
    {
        var cached = _key;
        if (cached is not null && cached.Date == date && ReferenceEquals(cached.Secret, secret))
        {
            return cached.Key;
        }

        var key = DeriveKey(secret, date, Region, Service);
        _key = new CachedKey(secret, date, key);
        return key;
    }

    /// <summary>Derives a signing key without caching.</summary>
    public static byte[] DeriveKey(string secret, string date, string region, string service)
    {
        var kDate = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        var kRegion = HMACSHA256.HashData(kDate, Encoding.UTF8.GetBytes(region));
        var kService = HMACSHA256.HashData(kRegion, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(kService, "aws4_request"u8);
    }

    private static string AppendCanonicalRequest(StringBuilder sb, string method, string path, string query, IReadOnlyList<KeyValuePair<string, string>>? extraQuery,
        IReadOnlyList<KeyValuePair<string, string>> headers, string payloadHash, bool normalize)
    {
        sb.Append(method).Append('\n');
        SigV4Canonical.AppendPath(sb, path, normalize);
        sb.Append('\n');
        SigV4Canonical.AppendQuery(sb, query, extraQuery);
        sb.Append('\n');
        var signed = SigV4Canonical.AppendHeaders(sb, headers);
        sb.Append('\n').Append(signed).Append('\n').Append(payloadHash);
        return signed;
    }

    private static string SignedHeaderList(IReadOnlyList<KeyValuePair<string, string>> headers) =>
        string.Join(';', headers.Select(h => h.Key.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    private sealed record CachedKey(string Secret, string Date, byte[] Key);
}
