using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tandem.Providers.Aws;
using Xunit;

namespace Tandem.Core.Tests.Providers.Aws;

/// <summary>
/// Every case of both AWS Signature Version 4 test suites, compared byte for byte: the classic 2015 suite
/// (<c>test/TestData/aws-sig-v4-test-suite</c>, 31 cases) and the current aws-c-auth suite
/// (<c>test/TestData/aws-c-auth-signing/v4</c>, 38 cases, header and query signing).
/// </summary>
public sealed class SigV4SuiteTests
{
    private static readonly AwsCredentials Example = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    private static readonly DateTimeOffset SuiteTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    private static string ClassicRoot => Path.Combine(TestData.Root, "aws-sig-v4-test-suite");

    private static string CurrentRoot => Path.Combine(TestData.Root, "aws-c-auth-signing", "v4");

    public static TheoryData<string> ClassicCases()
    {
        var data = new TheoryData<string>();
        foreach (var req in Directory.EnumerateFiles(ClassicRoot, "*.req", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(ClassicRoot, Path.ChangeExtension(req, null)));
        }

        return data;
    }

    public static TheoryData<string> CurrentCases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.EnumerateDirectories(CurrentRoot).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    [Fact]
    public void Suites_HoldEveryCase()
    {
        Assert.Equal(31, ClassicCases().Count);
        Assert.Equal(38, CurrentCases().Count);
    }

    [Theory]
    [MemberData(nameof(ClassicCases))]
    public void ClassicSuite_CanonicalRequestStringToSignAndAuthorization_MatchByteForByte(string name)
    {
        var file = Path.Combine(ClassicRoot, name);
        var text = File.ReadAllText(file + ".req");
        // The 2015 suite reads a folded header line as one more value of the header (its .creq joins them with commas).
        var parsed = ParsedRequest.Parse(text, foldedLineIsNewValue: true);

        // The signer adds X-Amz-Date (and the session token) itself: take them out of the request it is given.
        var token = parsed.Headers.FirstOrDefault(h => h.Key.Equals("X-Amz-Security-Token", StringComparison.OrdinalIgnoreCase)).Value;
        var headers = parsed.Headers.Where(h => !h.Key.Equals("X-Amz-Date", StringComparison.OrdinalIgnoreCase)
            && !h.Key.Equals("X-Amz-Security-Token", StringComparison.OrdinalIgnoreCase)).ToList();
        var credentials = token is null ? Example : Example with { SessionToken = token };
        var signer = new SigV4Signer("us-east-1", "service");

        var signature = signer.SignHeaders(parsed.ToSigV4(headers), credentials, SuiteTime);

        Assert.Equal(File.ReadAllText(file + ".creq"), signature.CanonicalRequest);
        Assert.Equal(File.ReadAllText(file + ".sts"), signature.StringToSign);
        Assert.Equal(File.ReadAllText(file + ".authz"), signature.Authorization);
        var sreq = File.ReadAllText(file + ".sreq");
        Assert.Contains("\nAuthorization: " + signature.Authorization, sreq, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(CurrentCases))]
    public void CurrentSuite_HeaderSigning_MatchesByteForByte(string name)
    {
        var dir = Path.Combine(CurrentRoot, name);
        var (parsed, credentials, options, _) = Load(dir);
        var signer = new SigV4Signer("us-east-1", "service");

        var signature = signer.SignHeaders(parsed.ToSigV4(parsed.Headers), credentials, SuiteTime, options);

        Assert.Equal(File.ReadAllText(Path.Combine(dir, "header-canonical-request.txt")), signature.CanonicalRequest);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "header-string-to-sign.txt")), signature.StringToSign);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "header-signature.txt")), signature.Signature);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "header-signed-request.txt")), parsed.WithHeaders(signature.Added));
    }

    [Theory]
    [MemberData(nameof(CurrentCases))]
    public void CurrentSuite_QuerySigning_MatchesByteForByte(string name)
    {
        var dir = Path.Combine(CurrentRoot, name);
        var (parsed, credentials, options, expires) = Load(dir);
        var signer = new SigV4Signer("us-east-1", "service");

        var signature = signer.Presign(parsed.ToSigV4(parsed.Headers), credentials, SuiteTime, expires, options);

        Assert.Equal(File.ReadAllText(Path.Combine(dir, "query-canonical-request.txt")), signature.CanonicalRequest);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "query-string-to-sign.txt")), signature.StringToSign);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "query-signature.txt")), signature.Signature);
        Assert.Null(signature.Authorization);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "query-signed-request.txt")), parsed.WithQuery(signature.Added));
    }

    private static (ParsedRequest Request, AwsCredentials Credentials, SigV4Options Options, TimeSpan Expires) Load(string dir)
    {
        using var context = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "context.json")));
        var c = context.RootElement;
        Assert.Equal("2015-08-30T12:36:00Z", c.GetProperty("timestamp").GetString());
        Assert.Equal(("us-east-1", "service"), (c.GetProperty("region").GetString(), c.GetProperty("service").GetString()));
        var creds = c.GetProperty("credentials");
        var credentials = new AwsCredentials(
            creds.GetProperty("access_key_id").GetString()!,
            creds.GetProperty("secret_access_key").GetString()!,
            creds.TryGetProperty("token", out var t) ? t.GetString() : null);
        var options = new SigV4Options(
            KeepPathAsSent: !c.GetProperty("normalize").GetBoolean(),
            SignPayloadHeader: c.GetProperty("sign_body").GetBoolean(),
            OmitSessionToken: c.TryGetProperty("omit_session_token", out var omit) && omit.GetBoolean());
        // The current suite writes folded header lines as one value (obs-fold), white space made one space.
        var parsed = ParsedRequest.Parse(File.ReadAllText(Path.Combine(dir, "request.txt")), foldedLineIsNewValue: false);
        return (parsed, credentials, options, TimeSpan.FromSeconds(c.GetProperty("expiration_in_seconds").GetInt32()));
    }

    /// <summary>A request in the suites' text form: request line, header lines (possibly folded), blank line, body.</summary>
    private sealed record ParsedRequest(string Method, string Path, string Query, List<KeyValuePair<string, string>> Headers, string Head, string Body)
    {
        public static ParsedRequest Parse(string text, bool foldedLineIsNewValue)
        {
            var split = text.IndexOf("\n\n", StringComparison.Ordinal);
            var head = split < 0 ? text : text[..(split + 1)];
            var body = split < 0 ? "" : text[(split + 2)..];
            var lines = head.TrimEnd('\n').Split('\n');
            var requestLine = lines[0];
            var method = requestLine[..requestLine.IndexOf(' ', StringComparison.Ordinal)];
            var target = requestLine[(method.Length + 1)..requestLine.LastIndexOf(" HTTP/", StringComparison.Ordinal)];
            var q = target.IndexOf('?', StringComparison.Ordinal);
            var headers = new List<KeyValuePair<string, string>>();
            foreach (var line in lines.Skip(1))
            {
                if (line.Length > 0 && char.IsWhiteSpace(line[0]))
                {
                    var last = headers[^1];
                    headers[^1] = foldedLineIsNewValue ? last : new(last.Key, last.Value + "\n" + line);
                    if (foldedLineIsNewValue)
                    {
                        headers.Add(new(last.Key, line.Trim()));
                    }

                    continue;
                }

                var colon = line.IndexOf(':', StringComparison.Ordinal);
                headers.Add(new(line[..colon], line[(colon + 1)..]));
            }

            return new ParsedRequest(method, q < 0 ? target : target[..q], q < 0 ? "" : target[(q + 1)..], headers, head, body);
        }

        public SigV4Request ToSigV4(IReadOnlyList<KeyValuePair<string, string>> headers) =>
            new(Method, Path, Query, headers, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Body))));

        /// <summary>The request with headers added after its own, in the suites' <c>Name:value</c> form.</summary>
        public string WithHeaders(IEnumerable<KeyValuePair<string, string>> added) =>
            Head + string.Concat(added.Select(h => h.Key + ":" + h.Value + "\n")) + "\n" + Body;

        /// <summary>The request with query parameters appended to its target.</summary>
        public string WithQuery(IEnumerable<KeyValuePair<string, string>> added)
        {
            var firstLineEnd = Head.IndexOf('\n', StringComparison.Ordinal);
            var query = string.Join('&', added.Select(p => p.Key + "=" + p.Value));
            var target = Path + "?" + (Query.Length > 0 ? Query + "&" : "") + query;
            return $"{Method} {target} HTTP/1.1" + Head[firstLineEnd..] + "\n" + Body;
        }
    }
}
