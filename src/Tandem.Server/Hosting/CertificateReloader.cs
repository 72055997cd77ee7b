using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Tandem.Server.Hosting;

/// <summary>
/// The HTTPS certificate of <c>server.tls</c>, read again when its files change. Checked at each new TLS connection
/// (two file-time lookups) rather than by a file watcher: no event to miss, and a renewal applies to the very next
/// connection. A pair that does not load (a renewal half written) keeps the previous certificate and logs a warning.
/// </summary>
internal sealed partial class CertificateReloader : IDisposable
{
    private readonly string _certificateFile;
    private readonly string _keyFile;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private (DateTime Certificate, DateTime Key) _loadedTimes;
    private X509Certificate2 _current;

    /// <summary>Loads the pair now: a missing or unreadable pair at start-up is a configuration error.</summary>
    public CertificateReloader(string certificateFile, string keyFile, ILogger logger)
    {
        _certificateFile = certificateFile;
        _keyFile = keyFile;
        _logger = logger;
        _loadedTimes = Times();
        try
        {
            _current = Load();
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or ArgumentException or UnauthorizedAccessException)
        {
            throw new Tandem.Configuration.ConfigException([$"server.tls: cannot load the certificate '{certificateFile}' with the key '{keyFile}': {e.Message}"]);
        }
    }

    /// <summary>The certificate to present, reloaded first when a file changed.</summary>
    public X509Certificate2 Current
    {
        get
        {
            var times = Times();
            if (times == _loadedTimes)
            {
                return _current;
            }

            lock (_lock)
            {
                if (times != _loadedTimes)
                {
                    try
                    {
                        var next = Load();
                        var previous = _current;
                        _current = next;
                        Reloaded(_logger, _certificateFile, next.Subject, next.NotAfter);
                        // Handshakes in progress may still use the previous one; it is left to the GC rather than disposed under them.
                        GC.KeepAlive(previous);
                    }
                    catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or ArgumentException or UnauthorizedAccessException)
                    {
                        ReloadFailed(_logger, _certificateFile, e.Message);
                    }

                    _loadedTimes = times;
                }

                return _current;
            }
        }
    }

    public void Dispose() => _current.Dispose();

    private (DateTime, DateTime) Times() => (File.GetLastWriteTimeUtc(_certificateFile), File.GetLastWriteTimeUtc(_keyFile));

    private X509Certificate2 Load()
    {
        using var pem = X509Certificate2.CreateFromPemFile(_certificateFile, _keyFile);
        // An ephemeral key cannot serve TLS on every platform: export and re-import it as a persisted PKCS#12 pair.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    [LoggerMessage(EventId = Tandem.Telemetry.EventIds.CertificateReloaded, EventName = "CertificateReloaded", Level = LogLevel.Information,
        Message = "TLS certificate {File} reloaded: {Subject}, valid until {NotAfter:u}")]
    private static partial void Reloaded(ILogger logger, string file, string subject, DateTime notAfter);

    [LoggerMessage(EventId = Tandem.Telemetry.EventIds.CertificateReloadFailed, EventName = "CertificateReloadFailed", Level = LogLevel.Warning,
        Message = "TLS certificate {File} changed but does not load ({Reason}); the previous certificate stays in use")]
    private static partial void ReloadFailed(ILogger logger, string file, string reason);
}
