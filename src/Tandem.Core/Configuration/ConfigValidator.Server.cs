namespace Tandem.Configuration;

/// <summary>Checks of the listener settings of <c>server:</c> (admin port, header limit, TLS, CORS).</summary>
public static partial class ConfigValidator
{
    private static void ValidateServerHardening(ServerConfig s, List<string> errors)
    {
        if (s.AdminPort is < 0 or > 65535)
        {
            errors.Add($"server.admin_port: {s.AdminPort} is not a port (1 to 65535, or 0 for any free port)");
        }

        if (s.MaxHeaderBytes is < 1024 or > 1024 * 1024)
        {
            errors.Add($"server.max_header_bytes: {s.MaxHeaderBytes} is outside 1024 to 1048576");
        }

        if (s.Tls is { } tls && (string.IsNullOrEmpty(tls.CertificateFile) || string.IsNullOrEmpty(tls.KeyFile)))
        {
            errors.Add("server.tls: set both certificate_file and key_file");
        }

        for (var i = 0; i < s.Cors.Origins.Count; i++)
        {
            var origin = s.Cors.Origins[i];
            if (origin == "*")
            {
                continue;
            }

            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.PathAndQuery != "/" || origin.EndsWith('/'))
            {
                errors.Add($"server.cors.origins[{i}]: '{origin}' is not an origin such as https://app.example.com (scheme, host and port only), or *");
            }
        }
    }
}
