using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Tandem.Providers.Aws;

/// <summary>
/// Role credentials from a container credentials endpoint (ECS task roles, EKS Pod Identity):
/// <c>AWS_CONTAINER_CREDENTIALS_RELATIVE_URI</c> (under <c>http://169.254.170.2</c>) or
/// <c>AWS_CONTAINER_CREDENTIALS_FULL_URI</c>, with the <c>Authorization</c> token from
/// <c>AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE</c> (read at every fetch: it rotates) or
/// <c>AWS_CONTAINER_AUTHORIZATION_TOKEN</c>.
/// </summary>
internal sealed class AwsContainerCredentials : IAwsCredentialsProvider
{
    /// <summary>The ECS agent's fixed address, which relative URIs are resolved against.</summary>
    public const string EcsHost = "http://169.254.170.2";

    private readonly Uri _uri;
    private readonly string? _tokenFile;
    private readonly string? _token;
    private readonly HttpMessageInvoker _http;

    public AwsContainerCredentials(Uri uri, string? tokenFile, string? token, HttpMessageInvoker http)
    {
        _uri = uri;
        _tokenFile = tokenFile;
        _token = token;
        _http = http;
    }

    /// <summary>
    /// The source the environment describes, or null when it names none. A full URI must be HTTPS or point at a
    /// loopback or link-local container agent address, as the AWS SDKs require, so that a mistaken variable cannot
    /// send the token elsewhere.
    /// </summary>
    public static AwsContainerCredentials? FromEnvironment(Func<string, string?> env, HttpMessageInvoker http, string ecsHost = EcsHost)
    {
        Uri uri;
        if (env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") is { Length: > 0 } relative)
        {
            uri = new Uri(ecsHost.TrimEnd('/') + "/" + relative.TrimStart('/'));
        }
        else if (env("AWS_CONTAINER_CREDENTIALS_FULL_URI") is { Length: > 0 } full)
        {
            if (!Uri.TryCreate(full, UriKind.Absolute, out var parsed) || !IsAllowed(parsed))
            {
                throw new AwsCredentialsException($"AWS_CONTAINER_CREDENTIALS_FULL_URI '{full}' must be https, or http to a loopback or container-agent address (169.254.170.2, 169.254.170.23, fd00:ec2::23)");
            }

            uri = parsed;
        }
        else
        {
            return null;
        }

        return new AwsContainerCredentials(uri, env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") is { Length: > 0 } f ? f : null, env("AWS_CONTAINER_AUTHORIZATION_TOKEN"), http);
    }

    private static bool IsAllowed(Uri uri)
    {
        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            return true;
        }

        if (uri.Scheme != Uri.UriSchemeHttp)
        {
            return false;
        }

        if (uri.IsLoopback)
        {
            return true;
        }

        return IPAddress.TryParse(uri.IdnHost, out var ip)
            && (ip.Equals(IPAddress.Parse("169.254.170.2")) || ip.Equals(IPAddress.Parse("169.254.170.23")) || ip.Equals(IPAddress.Parse("fd00:ec2::23")));
    }

    public async ValueTask<AwsCredentials> GetAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _uri);
        var token = _token;
        if (_tokenFile is not null)
        {
            try
            {
                token = (await File.ReadAllTextAsync(_tokenFile, cancellationToken).ConfigureAwait(false)).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AwsCredentialsException($"cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {_tokenFile}: {e.Message}", e);
            }
        }

        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.TryAddWithoutValidation("Authorization", token);
        }

        var body = await AwsMetadataHttp.SendAsync(_http, request, "the container credentials endpoint", cancellationToken).ConfigureAwait(false);
        return AwsMetadataHttp.ParseCredentials(body, "the container credentials endpoint");
    }
}

/// <summary>
/// Instance role credentials from the EC2 instance metadata service, IMDSv2: a session token first
/// (<c>PUT /latest/api/token</c>), then the role name and its credentials. <c>AWS_EC2_METADATA_SERVICE_ENDPOINT</c>
/// moves the service; <c>AWS_EC2_METADATA_DISABLED=true</c> turns it off.
/// </summary>
internal sealed class AwsInstanceCredentials : IAwsCredentialsProvider
{
    public const string DefaultEndpoint = "http://169.254.169.254";
    private const string RolePath = "/latest/meta-data/iam/security-credentials/";
    private readonly string _endpoint;
    private readonly HttpMessageInvoker _http;

    public AwsInstanceCredentials(string endpoint, HttpMessageInvoker http)
    {
        _endpoint = endpoint.TrimEnd('/');
        _http = http;
    }

    public static AwsInstanceCredentials? FromEnvironment(Func<string, string?> env, HttpMessageInvoker http)
    {
        if (string.Equals(env("AWS_EC2_METADATA_DISABLED"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT") is { Length: > 0 } e ? e
            : string.Equals(env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"), "IPv6", StringComparison.OrdinalIgnoreCase) ? "http://[fd00:ec2::254]"
            : DefaultEndpoint;
        return new AwsInstanceCredentials(endpoint, http);
    }

    public async ValueTask<AwsCredentials> GetAsync(CancellationToken cancellationToken = default)
    {
        string token;
        using (var tokenRequest = new HttpRequestMessage(HttpMethod.Put, _endpoint + "/latest/api/token"))
        {
            tokenRequest.Headers.TryAddWithoutValidation("X-aws-ec2-metadata-token-ttl-seconds", "21600");
            token = await AwsMetadataHttp.SendAsync(_http, tokenRequest, "the instance metadata service (token)", cancellationToken).ConfigureAwait(false);
        }

        string role;
        using (var roleRequest = new HttpRequestMessage(HttpMethod.Get, _endpoint + RolePath))
        {
            roleRequest.Headers.TryAddWithoutValidation("X-aws-ec2-metadata-token", token);
            var roles = await AwsMetadataHttp.SendAsync(_http, roleRequest, "the instance metadata service (role)", cancellationToken).ConfigureAwait(false);
            role = roles.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
                ?? throw new AwsCredentialsException("the instance has no IAM role (instance metadata lists none)");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, _endpoint + RolePath + Uri.EscapeDataString(role));
        request.Headers.TryAddWithoutValidation("X-aws-ec2-metadata-token", token);
        var body = await AwsMetadataHttp.SendAsync(_http, request, "the instance metadata service (credentials)", cancellationToken).ConfigureAwait(false);
        return AwsMetadataHttp.ParseCredentials(body, "the instance metadata service");
    }
}

/// <summary>The HTTP side of the metadata sources: one short-timeout client, and the credentials document.</summary>
internal static class AwsMetadataHttp
{
    /// <summary>
    /// A client for link-local metadata services: no proxy (the address is local by definition), short timeouts so
    /// that a machine without such a service fails fast instead of holding the request.
    /// </summary>
    public static HttpMessageInvoker Shared { get; } = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(1),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    });

    /// <summary>A client for STS, a public endpoint: the system proxy applies, connects may take longer.</summary>
    public static HttpMessageInvoker Internet { get; } = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    });

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static async Task<string> SendAsync(HttpMessageInvoker http, HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new AwsCredentialsException($"{what} answered HTTP {(int)response.StatusCode}");
            }

            return text;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AwsCredentialsException($"{what} did not answer within {Timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e) when (e is not AwsCredentialsException)
        {
            throw new AwsCredentialsException($"{what} could not be reached: {e.Message}", e);
        }
    }

    /// <summary>Reads <c>{"AccessKeyId","SecretAccessKey","Token","Expiration"}</c> (container and instance alike).</summary>
    public static AwsCredentials ParseCredentials(string body, string what)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.TryGetProperty("Code", out var code) && code.GetString() is { } c && c != "Success")
            {
                throw new AwsCredentialsException($"{what} refused credentials: {c}");
            }

            var id = root.GetProperty("AccessKeyId").GetString();
            var secret = root.GetProperty("SecretAccessKey").GetString();
            if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(secret))
            {
                throw new AwsCredentialsException($"{what} returned no AccessKeyId or SecretAccessKey");
            }

            var token = root.TryGetProperty("Token", out var t) ? t.GetString() : null;
            DateTimeOffset? expiration = root.TryGetProperty("Expiration", out var e) && e.GetString() is { } exp
                ? DateTimeOffset.Parse(exp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
                : null;
            return new AwsCredentials(id, secret, string.IsNullOrEmpty(token) ? null : token, expiration);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new AwsCredentialsException($"{what} returned an unreadable credentials document", e);
        }
    }
}
