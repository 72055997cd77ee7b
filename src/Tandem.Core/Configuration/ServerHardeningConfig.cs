namespace Tandem.Configuration;

/// <summary>HTTPS for the gateway's listeners (<c>server.tls</c>): a certificate and its key as PEM files.</summary>
/// <remarks>
/// The files are read again when either changes (checked at each new TLS connection, a file-time lookup), so a
/// renewed certificate (cert-manager, certbot) takes effect without a restart; a half-written pair keeps the previous one.
/// </remarks>
public sealed record TlsConfig
{
    /// <summary>PEM certificate (chain) file, relative to the configuration file's directory.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key file, relative to the configuration file's directory.</summary>
    public string? KeyFile { get; set; }
}

/// <summary>Cross-origin requests from browsers (<c>server.cors</c>): none unless origins are listed.</summary>
public sealed record CorsConfig
{
    /// <summary>Origins (<c>https://app.example.com</c>) whose pages may call <c>/v1</c>; empty (the default) allows none.</summary>
    public IReadOnlyList<string> Origins { get; set; } = [];
}
