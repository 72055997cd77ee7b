namespace Tandem.Providers.Aws;

/// <summary>
/// Signs the <see cref="HttpRequestMessage"/> of one call with SigV4: every header the adapter set (host,
/// content type, accept, the service's <c>X-Amzn-*</c> headers), the path exactly as it goes on the wire, and the
/// body's hash. Headers the seam adds later (<c>x-request-id</c>, <c>x-tandem-shadow</c>) stay unsigned, which AWS
/// accepts.
/// </summary>
internal sealed class AwsRequestSigner
{
    private readonly SigV4Signer _signer;
    private readonly IAwsCredentialsProvider _credentials;
    private readonly TimeProvider _time;

    public AwsRequestSigner(string region, string service, IAwsCredentialsProvider credentials, TimeProvider time)
    {
        _signer = new SigV4Signer(region, service);
        _credentials = credentials;
        _time = time;
    }

    public string Region => _signer.Region;

    /// <summary>Adds <c>X-Amz-Date</c>, <c>X-Amz-Security-Token</c> (temporary credentials) and <c>Authorization</c>.</summary>
    /// <exception cref="AwsCredentialsException">No credentials could be found.</exception>
    public async ValueTask SignAsync(HttpRequestMessage message, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var credentials = await _credentials.GetAsync(cancellationToken).ConfigureAwait(false);
        var uri = message.RequestUri ?? throw new ArgumentException("the message has no URI", nameof(message));
        var host = uri.Authority;
        message.Headers.Host = host;
        var headers = new List<KeyValuePair<string, string>>(8) { new("host", host) };
        // Raw values, as they go on the wire (several values of one header are sent joined by ", ").
        foreach (var header in message.Headers.NonValidated)
        {
            if (!header.Key.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                headers.Add(new(header.Key, string.Join(", ", header.Value)));
            }
        }

        if (message.Content is { } content)
        {
            foreach (var header in content.Headers.NonValidated)
            {
                // Content-Length is set by the client as it sends: not signed, as the AWS SDKs do not either.
                if (!header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    headers.Add(new(header.Key, string.Join(", ", header.Value)));
                }
            }
        }

        // The path and query exactly as HttpClient writes them on the request line.
        var path = uri.GetComponents(UriComponents.Path | UriComponents.KeepDelimiter, UriFormat.UriEscaped);
        var query = uri.GetComponents(UriComponents.Query, UriFormat.UriEscaped);
        var request = new SigV4Request(message.Method.Method, path, query, headers, SigV4Signer.HexSha256(body.Span));
        var signature = _signer.SignHeaders(request, credentials, _time.GetUtcNow());
        foreach (var (name, value) in signature.Added)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
    }
}
