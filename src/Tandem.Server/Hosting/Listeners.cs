using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Tandem.Configuration;

namespace Tandem.Server.Hosting;

/// <summary>
/// Kestrel's listeners when <c>server.admin_port</c> or <c>server.tls</c> is set (else the host binds
/// <c>server.urls</c> itself): the main addresses, each <c>https://</c> one with the reloading certificate, and the
/// admin port on the same addresses. Connections accepted on the admin port carry a mark that
/// <see cref="HardeningMiddleware"/> reads.
/// </summary>
internal sealed class Listeners
{
    /// <summary>Key of the connection item that marks a connection accepted on the admin port.</summary>
    public const string AdminConnection = "tandem.admin-listener";

    private readonly List<(ListenOptions Options, bool Https)> _main = [];
    private readonly List<(ListenOptions Options, bool Https)> _admin = [];
    private readonly List<(IPAddress Ip, int Port, bool Https)> _addresses;
    private readonly int? _adminPort;
    private readonly CertificateReloader? _certificates;

    private Listeners(List<(IPAddress Ip, int Port, bool Https)> addresses, int? adminPort, CertificateReloader? certificates)
    {
        _addresses = addresses;
        _adminPort = adminPort;
        _certificates = certificates;
    }

    /// <summary>Whether a separate admin port is configured.</summary>
    public bool HasAdminPort => _adminPort is not null;

    /// <summary>Reads <paramref name="urls"/> (checked now, bound when the host starts).</summary>
    /// <exception cref="ConfigException">An address Kestrel cannot bind directly, or https without <c>server.tls</c>.</exception>
    public static Listeners Parse(ServerConfig server, string urls, CertificateReloader? certificates)
    {
        var addresses = new List<(IPAddress Ip, int Port, bool Https)>();
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new ConfigException([$"server.urls: '{url}' is not an http:// or https:// address"]);
            }

            var ip = uri.IsLoopback && !IPAddress.TryParse(uri.Host.Trim('[', ']'), out _) ? IPAddress.Loopback
                : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) ? parsed
                : throw new ConfigException([$"server.urls: '{url}': with server.admin_port or server.tls, listen on an IP address, localhost or *"]);
            var https = uri.Scheme == Uri.UriSchemeHttps;
            if (https && certificates is null)
            {
                throw new ConfigException([$"server.urls: '{url}' is https: set server.tls (certificate_file and key_file)"]);
            }

            addresses.Add((ip, uri.Port, https));
        }

        return new Listeners(addresses, server.AdminPort, certificates);
    }

    /// <summary>Adds the listeners to Kestrel (when the host starts).</summary>
    public void Bind(KestrelServerOptions kestrel)
    {
        _main.Clear();
        _admin.Clear();
        foreach (var (ip, port, https) in _addresses)
        {
            kestrel.Listen(ip, port, o =>
            {
                Secure(o, https, _certificates);
                _main.Add((o, https));
            });
        }

        if (_adminPort is int adminPort)
        {
            foreach (var (ip, _, https) in _addresses.DistinctBy(a => a.Ip))
            {
                kestrel.Listen(ip, adminPort, o =>
                {
                    Secure(o, https, _certificates);
                    o.Use(next => connection =>
                    {
                        connection.Items[AdminConnection] = true;
                        return next(connection);
                    });
                    _admin.Add((o, https));
                });
            }
        }
    }

    /// <summary>The first main address, as bound (port 0 resolved); valid once the host has started.</summary>
    public Uri MainAddress => Address(_main[0]);

    /// <summary>The first admin address, as bound; null without <c>server.admin_port</c>.</summary>
    public Uri? AdminAddress => _admin.Count == 0 ? null : Address(_admin[0]);

    /// <summary>Whether <paramref name="ctx"/> came in on the admin port.</summary>
    public static bool IsAdminConnection(HttpContext ctx) =>
        ctx.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items.ContainsKey(AdminConnection) == true;

    private static void Secure(ListenOptions options, bool https, CertificateReloader? certificates)
    {
        if (https)
        {
            options.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificateSelector = (_, _) => certificates!.Current });
        }
    }

    private static Uri Address((ListenOptions Options, bool Https) listener)
    {
        var endpoint = listener.Options.IPEndPoint!;
        var host = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any) ? "127.0.0.1"
            : endpoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + endpoint.Address + "]" : endpoint.Address.ToString();
        return new Uri($"{(listener.Https ? "https" : "http")}://{host}:{endpoint.Port}/");
    }
}
