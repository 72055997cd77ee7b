using System.Net;
using System.Net.Sockets;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>The one filter in front of /admin.</summary>
public sealed class AdminFilterTests
{
    [Fact]
    public async Task Refusal_Is401WithAnOpenAiBody_AndLeavesTheConnectionReusable()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);
        var connections = 0;
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, token) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = gateway.App.BaseAddress };

        // Every admin endpoint answers the same refusal; none writes more than its Content-Length (which would make
        // the server drop the connection under the client's next request).
        foreach (var path in (string[])["admin/records/x", "admin/costs", "admin/migrations", "admin/deployments", "admin/config"])
        {
            using var response = await http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("""{"error":{"message":"The admin API needs the admin key.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""",
                await response.Content.ReadAsStringAsync(Ct));
        }

        using var healthy = await http.GetAsync("healthz", Ct);
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        Assert.Equal(1, connections);
    }
}
