using Polly.CircuitBreaker;
using Tandem.Upstream;
using Xunit;

namespace Tandem.Core.Tests.Upstream;

/// <summary>
/// What a deployment's retry waits for: the upstream's Retry-After (or retry-after-ms) when it is within
/// <c>max_retry_after</c>, no retry beyond it, and the backoff otherwise. The retry's wait is read from a recording
/// clock, so each test asserts the exact wait without spending it.
/// </summary>
public sealed class ResilienceRetryAfterTests
{
    private static string Config(string resilience) => $$"""
        auth: { disabled: true }
        providers:
          - name: p
            base_url: "http://a.invalid/v1"
            timeouts: { connect: 1s, first_byte: 2s, total: 10s, idle: 2s }
        deployments:
          - { name: d, provider: p, model: m, resilience: {{resilience}} }
        routes:
          - { name: r, deployment: d }
        """;

    private static (FakeUpstream Fake, RecordingTime Time, Tandem.Runtime.DeploymentRuntime Deployment) Build(string resilience, params (string Name, string Value)[] headers)
    {
        var fake = new FakeUpstream();
        fake.Script("p", i => i == 0 ? FakeUpstream.Json(429, """{"error":{"message":"slow down"}}""", headers) : FakeUpstream.Ok());
        var time = new RecordingTime();
        return (fake, time, fake.Build(Config(resilience), time: time).Deployments["d"]);
    }

    [Theory]
    [InlineData("Retry-After", "1", 1000.0)]
    [InlineData("Retry-After", "2", 2000.0)] // exactly max_retry_after (2s): still waited out
    [InlineData("Retry-After", "1.5", 1500.0)]
    [InlineData("retry-after-ms", "1250", 1250.0)]
    public async Task RateLimited_RetryAfterWithinMax_WaitsExactlyThatLong_ThenRetries(string header, string value, double waitMs)
    {
        var (fake, time, deployment) = Build("{ retries: 2, retry_backoff: 10s, max_retry_after: 2s }", (header, value));

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.True(result.IsSuccess);
        Assert.Equal(2, fake.Calls("p"));
        Assert.Equal([TimeSpan.FromMilliseconds(waitMs)], time.Delays);
    }

    [Theory]
    [InlineData("Retry-After", "3", 3000.0)]
    [InlineData("Retry-After", "2.5", 2500.0)]
    [InlineData("retry-after-ms", "2001", 2001.0)] // 1 ms over max_retry_after
    public async Task RateLimited_RetryAfterBeyondMax_IsNotRetried_AndTheHintIsPassedOn(string header, string value, double ms)
    {
        var (fake, time, deployment) = Build("{ retries: 2, retry_backoff: 1ms, max_retry_after: 2s }", (header, value));

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.Equal(1, fake.Calls("p"));
        Assert.Empty(time.Delays);
        Assert.Equal((FailureKind.RateLimited, 429, TimeSpan.FromMilliseconds(ms)), (result.Failure!.Kind, result.Failure.Status, result.Failure.RetryAfter));
    }

    [Fact]
    public async Task ServerError_RetryAfter_IsHonouredToo()
    {
        var fake = new FakeUpstream();
        fake.Script("p", i => i == 0 ? FakeUpstream.Json(503, """{"error":{"message":"busy"}}""", ("Retry-After", "1")) : FakeUpstream.Ok());
        var time = new RecordingTime();
        var deployment = fake.Build(Config("{ retries: 1, retry_backoff: 10s, max_retry_after: 2s }"), time: time).Deployments["d"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.True(result.IsSuccess);
        Assert.Equal([TimeSpan.FromSeconds(1)], time.Delays);
    }

    [Theory]
    [InlineData("0")] // "retry now" is no hint: the backoff applies
    [InlineData("soon")] // unreadable: ignored
    public async Task RateLimited_NoUsableHint_WaitsTheBackoff(string value)
    {
        var (fake, time, deployment) = Build("{ retries: 1, retry_backoff: 1h, max_retry_after: 2s }", ("Retry-After", value));

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.True(result.IsSuccess);
        Assert.Equal(2, fake.Calls("p"));
        // The backoff, jittered around an hour (under a minute only for a jitter draw below about 1e-6): never the
        // zero of "0", never a Retry-After.
        var wait = Assert.Single(time.Delays);
        Assert.True(wait > TimeSpan.FromMinutes(1), wait.ToString());
        Assert.NotEqual(TimeSpan.FromHours(1), wait); // jittered, so that many callers do not retry in step
    }

    [Fact]
    public async Task Retries_StopAfterTheConfiguredCount()
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Json(429, """{"error":{"message":"slow down"}}""", ("Retry-After", "1")));
        var time = new RecordingTime();
        var deployment = fake.Build(Config("{ retries: 3, retry_backoff: 1ms, max_retry_after: 2s }"), time: time).Deployments["d"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        // 1 try + 3 retries, each after the upstream's 1 s.
        Assert.Equal(4, fake.Calls("p"));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)], time.Delays);
        Assert.Equal(FailureKind.RateLimited, result.Failure!.Kind);
    }

    [Fact]
    public async Task Breaker_ManyRateLimits_AmongFewServerErrors_StaysClosed()
    {
        // 10 calls, min_throughput 10, failure_ratio 0.5: 4 server errors and 6 rate limits. Counting only the server
        // errors the ratio is 4 / 10 = 0.4 < 0.5 (closed); were the 429s counted it would be 10 / 10 (open).
        var fake = new FakeUpstream();
        fake.Script("p", i => i % 5 < 2
            ? FakeUpstream.Json(503, """{"error":{"message":"down"}}""")
            : FakeUpstream.Json(429, """{"error":{"message":"slow"}}"""));
        var deployment = fake.Build(Config("{ retries: 0, breaker: { failure_ratio: 0.5, min_throughput: 10, window: 60s, break_for: 60s } }")).Deployments["d"];

        for (var i = 0; i < 10; i++)
        {
            (await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct)).Dispose();
        }

        Assert.Equal(CircuitState.Closed, deployment.Resilience.BreakerState);
        Assert.False(deployment.Resilience.IsOpen);
    }

    [Fact]
    public async Task Breaker_ServerErrorsAtTheRatio_Opens_AndRefusesWithItsBreakAsRetryAfter()
    {
        // 10 calls, successes and server errors in turn: the 10th call is the 5th error, 5 / 10 = 0.5, the ratio
        // itself, with the 10 calls min_throughput asks for: the breaker opens.
        var fake = new FakeUpstream();
        fake.Script("p", i => i % 2 == 1 ? FakeUpstream.Json(500, """{"error":{"message":"down"}}""") : FakeUpstream.Ok());
        var deployment = fake.Build(Config("{ retries: 0, breaker: { failure_ratio: 0.5, min_throughput: 10, window: 60s, break_for: 45s } }")).Deployments["d"];

        for (var i = 0; i < 10; i++)
        {
            (await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct)).Dispose();
        }

        Assert.Equal(CircuitState.Open, deployment.Resilience.BreakerState);
        Assert.Equal(TimeSpan.FromSeconds(45), deployment.Resilience.BreakDuration);
        using var refused = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);
        Assert.Equal(10, fake.Calls("p")); // refused without a call
        Assert.Equal((FailureKind.BreakerOpen, 503, "breaker_open"), (refused.Failure!.Kind, refused.Failure.Status, refused.Failure.Code));
        Assert.InRange(refused.Failure.RetryAfter!.Value, TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(45));
    }

    [Fact]
    public async Task Breaker_Isolated_RefusesBeforeAnyCall_UntilClosed()
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Ok());
        var deployment = fake.Build(Config("{ retries: 0, breaker: { break_for: 20s } }")).Deployments["d"];

        await deployment.Resilience.IsolateAsync();
        using (var refused = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct))
        {
            Assert.Equal((FailureKind.BreakerOpen, TimeSpan.FromSeconds(20)), (refused.Failure!.Kind, refused.Failure.RetryAfter));
            Assert.True(deployment.Resilience.IsOpen);
        }

        await deployment.Resilience.CloseAsync();
        using var served = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);
        Assert.True(served.IsSuccess);
        Assert.Equal(1, fake.Calls("p"));
    }

    [Fact]
    public void BreakFor_UnderHalfASecond_IsRaisedToHalfASecond()
    {
        var fake = new FakeUpstream();

        // A 100 ms window too: Polly refuses a sampling window under half a second, so it is raised as well.
        var deployment = fake.Build(Config("{ breaker: { break_for: 100ms, window: 100ms } }")).Deployments["d"];

        Assert.Equal(TimeSpan.FromMilliseconds(500), deployment.Resilience.BreakDuration);
        Assert.Equal(TimeSpan.FromSeconds(2), deployment.Resilience.MaxRetryAfter);
    }
}
