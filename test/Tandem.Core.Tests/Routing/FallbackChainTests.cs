using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Core.Tests.Upstream;
using Tandem.Routing;
using Tandem.Upstream;
using Xunit;

namespace Tandem.Core.Tests.Routing;

/// <summary>The fallback chain runs in Core, without Kestrel: scripted providers behind the real seam.</summary>
public sealed class FallbackChainTests
{
    private const string Config = """
        auth: { disabled: true }
        providers:
          - { name: pa, base_url: "http://a.invalid/v1", timeouts: { first_byte: 2s } }
          - { name: pb, base_url: "http://b.invalid/v1" }
          - { name: pc, base_url: "http://c.invalid/v1" }
        deployments:
          - { name: a, provider: pa, model: ma, context_window: 8000, resilience: { retries: 0 } }
          - { name: b, provider: pb, model: mb, context_window: 8000, resilience: { retries: 0 } }
          - { name: c, provider: pc, model: mc, context_window: 128000, resilience: { retries: 0 } }
        routes:
          - { name: r, deployment: a, fallbacks: [b, c] }
        """;

    private static async Task<(UpstreamResult Result, UpstreamRequest Request)> ServeAsync(FakeUpstream fake)
    {
        var snapshot = fake.Build(Config);
        var request = FakeUpstream.Chat();
        var plan = new RoutePlan([snapshot.Deployments["a"], snapshot.Deployments["b"], snapshot.Deployments["c"]], "test");
        return (await FallbackChain.ServeAsync(plan, request, NullLogger.Instance, Ct), request);
    }

    [Fact]
    public async Task FirstFails_SecondServes_StepIsNoted()
    {
        var fake = new FakeUpstream();
        fake.Script("pa", _ => FakeUpstream.Json(503, """{"error":{"message":"down"}}"""));
        fake.Script("pb", _ => FakeUpstream.Ok("from b"));
        fake.Script("pc", _ => FakeUpstream.Ok("from c"));

        var (result, request) = await ServeAsync(fake);
        using (result)
        {
            Assert.True(result.IsSuccess);
            Assert.Equal("b", result.Deployment.Name);
            Assert.Equal("; fallback: a 503 -> b", request.Trace.Notes);
            Assert.Equal(0, fake.Calls("pc"));
        }
    }

    [Fact]
    public async Task ClientError_IsNotTriedElsewhere()
    {
        var fake = new FakeUpstream();
        fake.Script("pa", _ => FakeUpstream.Json(400, """{"error":{"message":"bad"}}"""));
        fake.Script("pb", _ => FakeUpstream.Ok());
        fake.Script("pc", _ => FakeUpstream.Ok());

        var (result, request) = await ServeAsync(fake);

        Assert.Equal(("a", FailureKind.ClientError), (result.Deployment.Name, result.Failure!.Kind));
        Assert.Equal("", request.Trace.Notes);
        Assert.Equal((0, 0), (fake.Calls("pb"), fake.Calls("pc")));
    }

    [Fact]
    public async Task ContextTooLong_SkipsDeploymentsWithoutALargerWindow()
    {
        var fake = new FakeUpstream();
        fake.Script("pa", _ => FakeUpstream.Json(400, """{"error":{"message":"x","code":"context_length_exceeded"}}"""));
        fake.Script("pb", _ => FakeUpstream.Ok("from b"));
        fake.Script("pc", _ => FakeUpstream.Ok("from c"));

        var (result, request) = await ServeAsync(fake);
        using (result)
        {
            Assert.Equal("c", result.Deployment.Name);
            Assert.Equal("; fallback: a context_length_exceeded -> c", request.Trace.Notes);
            Assert.Equal(0, fake.Calls("pb"));
        }
    }

    [Fact]
    public async Task AllFail_TheLastFailureIsReturned()
    {
        var fake = new FakeUpstream();
        fake.Script("pa", _ => FakeUpstream.Json(503, """{"error":{"message":"down"}}"""));
        fake.Script("pb", _ => FakeUpstream.Json(500, """{"error":{"message":"down"}}"""));
        fake.Script("pc", _ => FakeUpstream.Json(429, """{"error":{"message":"slow"}}""", ("Retry-After", "30")));

        var (result, request) = await ServeAsync(fake);

        Assert.Equal(("c", FailureKind.RateLimited, TimeSpan.FromSeconds(30)), (result.Deployment.Name, result.Failure!.Kind, result.Failure.RetryAfter));
        Assert.Equal("; fallback: a 503 -> b; fallback: b 500 -> c", request.Trace.Notes);
        Assert.Equal(["a", "b", "c"], request.Trace.Attempts.Select(t => t.Deployment));
    }
}
