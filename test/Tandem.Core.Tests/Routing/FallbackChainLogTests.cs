using System.Text;
using Microsoft.Extensions.Logging;
using Tandem.Core.Tests.Upstream;
using Tandem.Routing;
using Tandem.Upstream;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Routing;

/// <summary>Each step of the fallback chain is logged with the request id (or a dash for calls without one).</summary>
public sealed class FallbackChainLogTests
{
    private const string Config = """
        auth: { disabled: true }
        providers:
          - { name: pa, base_url: "http://a.invalid/v1" }
          - { name: pb, base_url: "http://b.invalid/v1" }
        deployments:
          - { name: a, provider: pa, model: ma, resilience: { retries: 0 } }
          - { name: b, provider: pb, model: mb, resilience: { retries: 0 } }
        """;

    [Fact]
    public async Task FallingBack_IsLogged_WithTheRequestIdOrADash()
    {
        var fake = new FakeUpstream();
        fake.Script("pa", _ => FakeUpstream.Json(503, """{"error":{"message":"down"}}"""));
        fake.Script("pb", _ => FakeUpstream.Ok());
        var snapshot = fake.Build(Config);
        var plan = new RoutePlan([snapshot.Deployments["a"], snapshot.Deployments["b"]], "test");
        var logger = new ListLogger();
        var anonymous = UpstreamRequest.Parse(ApiOperation.ChatCompletions, Encoding.UTF8.GetBytes("""{"model":"r","messages":[{"role":"user","content":"hi"}]}"""), UpstreamPurpose.Eval);

        (await FallbackChain.ServeAsync(plan, FakeUpstream.Chat(), logger, Ct)).Dispose();
        (await FallbackChain.ServeAsync(plan, anonymous, logger, Ct)).Dispose();

        Assert.Equal(["Request req-1: a failed (503); falling back to b", "Request -: a failed (503); falling back to b"], logger.Messages);
        Assert.Equal("; fallback: a 503 -> b", anonymous.Trace.Notes);
    }

    [Fact]
    public async Task LastDeploymentFailing_LogsNoStep()
    {
        var fake = new FakeUpstream();
        fake.Script("pa", _ => FakeUpstream.Json(503, """{"error":{"message":"down"}}"""));
        fake.Script("pb", _ => FakeUpstream.Json(503, """{"error":{"message":"down"}}"""));
        var snapshot = fake.Build(Config);
        var logger = new ListLogger();
        var request = FakeUpstream.Chat();

        using var result = await FallbackChain.ServeAsync(new RoutePlan([snapshot.Deployments["a"], snapshot.Deployments["b"]], "test"), request, logger, Ct);

        Assert.Equal(("b", FailureKind.ServerError), (result.Deployment.Name, result.Failure!.Kind));
        Assert.Equal(["Request req-1: a failed (503); falling back to b"], logger.Messages);
    }

    private sealed class ListLogger : ILogger
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_messages)
            {
                _messages.Add(formatter(state, exception));
            }
        }
    }
}
