using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary><c>server.inline_io</c>: Kestrel's socket transport schedules inline, and the gateway serves as before.</summary>
public sealed class InlineIoTests
{
    private const string Config = """
        server: { inline_io: INLINE }
        auth:
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - name: sim
            base_url: {sim0}
        deployments:
          - name: d
            provider: sim
            model: m
        routes:
          - name: chat
            deployment: d
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task InlineIo_SetsKestrelsInlineScheduling_AndServesAnswersAndStreams(bool inline)
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 12 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config.Replace("INLINE", inline ? "true" : "false", StringComparison.Ordinal), sim);

        // Set by the process (another test, or DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1) it is on whatever the file says.
        var expected = inline || Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1";
        Assert.Equal(expected, gateway.App.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling);

        ChatCompletion completion = await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct);
        Assert.Equal(12, completion.Usage.OutputTokenCount);
        var streamed = 0;
        await foreach (var update in gateway.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("hi")], cancellationToken: Ct))
        {
            streamed += update.ContentUpdate.Count;
        }

        Assert.True(streamed > 0);
        Assert.Equal(2, sim.Stats.Completed);
    }
}
