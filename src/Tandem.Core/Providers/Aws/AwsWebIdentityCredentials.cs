using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Tandem.Providers.Aws;

/// <summary>
/// Role credentials for a web identity token (EKS IAM roles for service accounts, and any OIDC federation):
/// <c>AWS_WEB_IDENTITY_TOKEN_FILE</c> and <c>AWS_ROLE_ARN</c> (optionally <c>AWS_ROLE_SESSION_NAME</c>), exchanged
/// at STS with <c>AssumeRoleWithWebIdentity</c> — an unsigned call: the token is the proof. The token file is read at
/// every exchange, as the kubelet rotates it. STS is the regional endpoint of <c>AWS_REGION</c> (the global one
/// without a region), or <c>AWS_ENDPOINT_URL_STS</c> / <c>AWS_ENDPOINT_URL</c>.
/// </summary>
internal sealed class AwsWebIdentityCredentials : IAwsCredentialsProvider
{
    private static readonly XNamespace Sts = "https://sts.amazonaws.com/doc/2011-06-15/";
    private readonly string _tokenFile;
    private readonly string _roleArn;
    private readonly string _sessionName;
    private readonly Uri _endpoint;
    private readonly HttpMessageInvoker _http;

    public AwsWebIdentityCredentials(string tokenFile, string roleArn, string sessionName, Uri endpoint, HttpMessageInvoker http)
    {
        _tokenFile = tokenFile;
        _roleArn = roleArn;
        _sessionName = sessionName;
        _endpoint = endpoint;
        _http = http;
    }

    /// <summary>The source the environment describes, or null when it names no token file.</summary>
    public static AwsWebIdentityCredentials? FromEnvironment(Func<string, string?> env, HttpMessageInvoker http)
    {
        if (env("AWS_WEB_IDENTITY_TOKEN_FILE") is not { Length: > 0 } tokenFile)
        {
            return null;
        }

        var roleArn = env("AWS_ROLE_ARN") is { Length: > 0 } arn ? arn
            : throw new AwsCredentialsException("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
        var endpoint = env("AWS_ENDPOINT_URL_STS") is { Length: > 0 } sts ? sts
            : env("AWS_ENDPOINT_URL") is { Length: > 0 } any ? any
            : env("AWS_REGION") is { Length: > 0 } region ? $"https://sts.{region}.amazonaws.com"
            : env("AWS_DEFAULT_REGION") is { Length: > 0 } fallback ? $"https://sts.{fallback}.amazonaws.com"
            : "https://sts.amazonaws.com";
        var session = env("AWS_ROLE_SESSION_NAME") is { Length: > 0 } name ? name : "tandem";
        return new AwsWebIdentityCredentials(tokenFile, roleArn, session, new Uri(endpoint.TrimEnd('/') + "/"), http);
    }

    public async ValueTask<AwsCredentials> GetAsync(CancellationToken cancellationToken = default)
    {
        string token;
        try
        {
            token = (await File.ReadAllTextAsync(_tokenFile, cancellationToken).ConfigureAwait(false)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AwsCredentialsException($"cannot read AWS_WEB_IDENTITY_TOKEN_FILE {_tokenFile}: {e.Message}", e);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint)
        {
            Content = new FormUrlEncodedContent(
            [
                new("Action", "AssumeRoleWithWebIdentity"),
                new("Version", "2011-06-15"),
                new("RoleArn", _roleArn),
                new("RoleSessionName", _sessionName),
                new("WebIdentityToken", token),
            ]),
        };
        var body = await AwsMetadataHttp.SendAsync(_http, request, "STS (AssumeRoleWithWebIdentity)", cancellationToken).ConfigureAwait(false);
        return Parse(body);
    }

    /// <summary>Reads the <c>Credentials</c> of an <c>AssumeRoleWithWebIdentityResponse</c>.</summary>
    internal static AwsCredentials Parse(string xml)
    {
        try
        {
            var credentials = XDocument.Parse(xml).Descendants(Sts + "Credentials").FirstOrDefault()
                ?? throw new AwsCredentialsException("STS answered without Credentials");
            string Value(string name) => credentials.Element(Sts + name)?.Value is { Length: > 0 } v ? v
                : throw new AwsCredentialsException($"STS credentials have no {name}");
            return new AwsCredentials(Value("AccessKeyId"), Value("SecretAccessKey"), Value("SessionToken"),
                DateTimeOffset.Parse(Value("Expiration"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal));
        }
        catch (Exception e) when (e is XmlException or FormatException)
        {
            throw new AwsCredentialsException("STS returned an unreadable AssumeRoleWithWebIdentity response", e);
        }
    }
}
