using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>Header limit, admin port, CORS and TLS with certificate reload, on a real Kestrel.</summary>
public sealed class HardeningTests
{
    private const string AdminKey = "admin-key-hardening-1";

    private static string Config(string server) => $$"""
        server:
        {{server}}
        auth:
          admin_key_sha256: {{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(AdminKey)))}}
          keys:
            - name: test
              key: sk-test-key-123456
        providers:
          - name: sim
            base_url: {sim0}
        deployments:
          - name: gpt
            provider: sim
            model: gpt-4o-mini-2024-07-18
        routes:
          - name: chat
            deployment: gpt
        """;

    private static StringContent Chat() => new("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");

    [Fact]
    public async Task HeaderLimit_HeadOverTheLimit_Is431InOpenAiShape_AndAHeadUnderItPasses()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config("  max_header_bytes: 4096"), sim);

        using var big = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Chat() };
        big.Headers.Add("x-padding", new string('a', 5000));
        using var refused = await gateway.Http.SendAsync(big, Ct);
        Assert.Equal((HttpStatusCode)431, refused.StatusCode);
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync(Ct))!["error"]!;
        Assert.Equal(("request_header_fields_too_large", "Request headers exceed the gateway's limit of 4096 bytes."), ((string?)error["code"], (string?)error["message"]));

        using var small = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Chat() };
        small.Headers.Add("x-padding", new string('a', 3000));
        using var served = await gateway.Http.SendAsync(small, Ct);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task AdminPort_Set_AdminOnlyOnItsPort_ApiOnlyOnTheMainPort()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config("  admin_port: 0"), sim);
        Assert.NotNull(gateway.App.AdminAddress);
        Assert.NotEqual(gateway.App.BaseAddress.Port, gateway.App.AdminAddress!.Port);
        using var admin = new HttpClient { BaseAddress = gateway.App.AdminAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var mainAdmin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        mainAdmin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        using (var onMain = await mainAdmin.GetAsync("admin/deployments", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, onMain.StatusCode);
            Assert.Equal("""{"error":{"message":"Unknown endpoint GET /admin/deployments.","type":"invalid_request_error","param":null,"code":"unknown_url"}}""", await onMain.Content.ReadAsStringAsync(Ct));
        }

        using (var onAdmin = await admin.GetAsync("admin/deployments", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, onAdmin.StatusCode);
        }

        using (var apiOnAdmin = await admin.PostAsync("v1/chat/completions", Chat(), Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, apiOnAdmin.StatusCode);
        }

        using (var health = await admin.GetAsync("healthz", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        using var api = await gateway.Http.PostAsync("v1/chat/completions", Chat(), Ct);
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
    }

    [Fact]
    public async Task AdminPort_NotSet_AdminOnTheMainPort()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config("  max_body_bytes: 1048576"), sim);
        using var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        using var response = await admin.GetAsync("admin/deployments", Ct);

        Assert.Null(gateway.App.AdminAddress);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Cors_OffByDefault_ListedOriginsOnly()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using (var closed = await TestGateway.StartAsync(Config("  max_body_bytes: 1048576"), sim))
        {
            using var preflight = await PreflightAsync(closed, "https://app.example.com");
            Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
        }

        await using var open = await TestGateway.StartAsync(Config("  cors: { origins: [\"https://app.example.com\"] }"), sim);
        using (var allowed = await PreflightAsync(open, "https://app.example.com"))
        {
            Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
            Assert.Equal("https://app.example.com", Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
        }

        using (var other = await PreflightAsync(open, "https://evil.example.com"))
        {
            Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Chat() };
        request.Headers.Add("Origin", "https://app.example.com");
        using var response = await open.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("https://app.example.com", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    private static async Task<HttpResponseMessage> PreflightAsync(TestGateway gateway, string origin)
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "v1/chat/completions");
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return await gateway.Http.SendAsync(preflight, Ct);
    }

    [Fact]
    public async Task Tls_CertificateFilesReplaced_TheNextConnectionGetsTheNewCertificate()
    {
        using var certs = new TempDir("tandem-tls-");
        var first = WriteCertificate(certs, "first");
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        var config = Config($"  tls: {{ certificate_file: {certs.File("tls.crt")}, key_file: {certs.File("tls.key")} }}");
        await using var gateway = await TestGateway.StartAsync(config, o => o with { Urls = "https://127.0.0.1:0" }, [sim.V1.ToString()]);
        Assert.Equal("https", gateway.App.BaseAddress.Scheme);

        Assert.Equal(first, await ThumbprintSeenAsync(gateway.App.BaseAddress));

        var second = WriteCertificate(certs, "second");
        // A later file time than the first pair's, as a renewal has (the files may be rewritten within one clock tick).
        File.SetLastWriteTimeUtc(certs.File("tls.crt"), File.GetLastWriteTimeUtc(certs.File("tls.crt")).AddMinutes(1));
        File.SetLastWriteTimeUtc(certs.File("tls.key"), File.GetLastWriteTimeUtc(certs.File("tls.key")).AddMinutes(1));

        Assert.NotEqual(first, second);
        Assert.Equal(second, await ThumbprintSeenAsync(gateway.App.BaseAddress));
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("TLS certificate " + certs.File("tls.crt") + " reloaded: CN=second", StringComparison.Ordinal));
    }

    /// <summary>Writes a self-signed certificate for 127.0.0.1 as tls.crt/tls.key (PEM); returns its thumbprint.</summary>
    private static string WriteCertificate(TempDir dir, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero));
        File.WriteAllText(dir.File("tls.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(dir.File("tls.key"), key.ExportPkcs8PrivateKeyPem());
        return certificate.Thumbprint;
    }

    /// <summary>Opens a new connection, makes one request, and returns the thumbprint of the certificate the server presented.</summary>
    private static async Task<string?> ThumbprintSeenAsync(Uri address)
    {
        string? seen = null;
        using var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => { seen = certificate?.GetCertHashString(); return true; } },
        };
        using var http = new HttpClient(handler) { BaseAddress = address };
        using var response = await http.GetAsync("healthz", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return seen;
    }
}
