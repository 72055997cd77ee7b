using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Providers;
using Tandem.Routing;
using Tandem.Runtime;
using Tandem.Upstream;
using Xunit;

namespace Tandem.Core.Tests.Upstream;

/// <summary>
/// <see cref="DeploymentInvoker.InvokeAsync"/>: a deployment served by an in-process client goes through the same
/// limiter, retries, breaker, timeouts, trace and classification as an HTTP call (issue 17).
/// </summary>
public sealed class InProcessInvokeTests
{
    private static string Config(string resilience = "{ retries: 1, retry_backoff: 1ms, max_retry_after: 2s }") => $$"""
        auth: { disabled: true }
        providers:
          - name: p
            base_url: "http://a.invalid/v1"
            timeouts: { connect: 1s, first_byte: 300ms, total: 5s, idle: 300ms }
          - { name: q, base_url: "http://b.invalid/v1" }
        deployments:
          - { name: d, provider: p, model: m-upstream, context_window: 8000, resilience: {{resilience}} }
          - { name: e, provider: q, model: m-other, context_window: 8000, resilience: { retries: 0 } }
        routes:
          - { name: r, deployment: d, fallbacks: [e] }
        """;

    /// <summary>Answers from a script: the int is the try's index; a null answer sets the failure the script chose.</summary>
    private sealed class Script(Func<int, InProcessCall<string>, CancellationToken, Task> body)
    {
        public int Calls { get; private set; }

        public async ValueTask TryAsync(InProcessCall<string> call) => await body(Calls++, call, call.Cancellation.Token);
    }

    private static ValueTask<InvocationResult<string>> InvokeAsync(DeploymentRuntime deployment, Script script, UpstreamTrace trace, CancellationToken cancellationToken) =>
        deployment.Invoker.InvokeAsync<string, Script>(trace, "req-1", UpstreamPurpose.Client, script, static (s, call) => s.TryAsync(call), cancellationToken);

    [Fact]
    public async Task InvokeAsync_Answer_IsReturnedAndTraced()
    {
        var deployment = new FakeUpstream().Build(Config()).Deployments["d"];
        var script = new Script((_, call, _) =>
        {
            call.Succeed("hello");
            return Task.CompletedTask;
        });
        var trace = new UpstreamTrace();

        using var result = await InvokeAsync(deployment, script, trace, Ct);

        Assert.True(result.IsSuccess);
        Assert.Equal("hello", result.Answer);
        Assert.Equal([("d", 200, (string?)null)], trace.Attempts.Select(a => (a.Deployment, a.Status, a.Error)));
    }

    [Fact]
    public async Task InvokeAsync_TransientStatusThenAnswer_RetriesOnTheSameDeployment()
    {
        var deployment = new FakeUpstream().Build(Config()).Deployments["d"];
        var script = new Script((i, call, _) =>
        {
            if (i == 0)
            {
                call.Status = 503;
            }
            else
            {
                call.Succeed("second");
            }

            return Task.CompletedTask;
        });
        var trace = new UpstreamTrace();

        using var result = await InvokeAsync(deployment, script, trace, Ct);

        Assert.Equal("second", result.Answer);
        Assert.Equal([("d", 503, "http_503"), ("d", 200, (string?)null)], trace.Attempts.Select(a => (a.Deployment, a.Status, a.Error)));
    }

    [Theory]
    [InlineData(429, 9, FailureKind.RateLimited, 429, "rate_limit_exceeded", 1)]
    [InlineData(400, 0, FailureKind.ClientError, 400, "upstream_400", 1)]
    [InlineData(401, 0, FailureKind.Rejected, 502, "upstream_rejected", 1)]
    [InlineData(500, 0, FailureKind.ServerError, 502, "upstream_error", 2)]
    public async Task InvokeAsync_FailureStatus_IsClassifiedAsOverHttp(int status, int retryAfterSeconds, FailureKind kind, int clientStatus, string code, int tries)
    {
        var deployment = new FakeUpstream().Build(Config()).Deployments["d"];
        var script = new Script((_, call, _) =>
        {
            call.Status = status;
            call.RetryAfter = retryAfterSeconds > 0 ? TimeSpan.FromSeconds(retryAfterSeconds) : null;
            return Task.CompletedTask;
        });

        using var result = await InvokeAsync(deployment, script, new UpstreamTrace(), Ct);

        Assert.Equal((kind, clientStatus, code), (result.Failure!.Kind, result.Failure.Status, result.Failure.Code));
        // A 429 asking for 9 s (beyond max_retry_after 2s) and a refused request are not tried again; a 500 is.
        Assert.Equal(tries, script.Calls);
    }

    [Fact]
    public async Task InvokeAsync_ContextLength_IsItsOwnKind()
    {
        var deployment = new FakeUpstream().Build(Config()).Deployments["d"];
        var script = new Script((_, call, _) =>
        {
            call.Status = 400;
            call.ProviderError = new ProviderError("maximum context length is 8192 tokens", ProviderErrorKind.ContextLength);
            return Task.CompletedTask;
        });

        using var result = await InvokeAsync(deployment, script, new UpstreamTrace(), Ct);

        Assert.Equal((FailureKind.ContextLength, 400, "context_length_exceeded", "maximum context length is 8192 tokens"),
            (result.Failure!.Kind, result.Failure.Status, result.Failure.Code, result.Failure.Message));
    }

    [Fact]
    public async Task InvokeAsync_NoAnswerWithinFirstByte_IsATimeout_RetriedThenFailed()
    {
        var deployment = new FakeUpstream().Build(Config()).Deployments["d"];
        var script = new Script((_, _, token) => Task.Delay(Timeout.Infinite, token));
        var trace = new UpstreamTrace();

        using var result = await InvokeAsync(deployment, script, trace, Ct);

        Assert.Equal((FailureKind.Timeout, 504, "upstream_timeout"), (result.Failure!.Kind, result.Failure.Status, result.Failure.Code));
        Assert.Equal([("d", 0, "timeout"), ("d", 0, "timeout")], trace.Attempts.Select(a => (a.Deployment, a.Status, a.Error)));
        Assert.IsAssignableFrom<OperationCanceledException>(result.Exception);
    }

    [Fact]
    public async Task InvokeAsync_OtherException_IsAnUpstreamError_WithTheExceptionKept()
    {
        var deployment = new FakeUpstream().Build(Config("{ retries: 0 }")).Deployments["d"];
        var boom = new InvalidOperationException("the client broke");
        var script = new Script((_, _, _) => throw boom);
        var trace = new UpstreamTrace();

        using var result = await InvokeAsync(deployment, script, trace, Ct);

        Assert.Equal((FailureKind.ServerError, 502, "upstream_error", "Deployment 'd' failed: InvalidOperationException: the client broke"),
            (result.Failure!.Kind, result.Failure.Status, result.Failure.Code, result.Failure.Message));
        Assert.Same(boom, result.Exception);
        Assert.Equal([("d", 0, "exception")], trace.Attempts.Select(a => (a.Deployment, a.Status, a.Error)));
    }

    [Fact]
    public async Task InvokeAsync_CallerCancels_Throws_AndTracesClientClosed()
    {
        var deployment = new FakeUpstream().Build(Config()).Deployments["d"];
        using var caller = new CancellationTokenSource();
        var script = new Script(async (_, _, token) =>
        {
            await caller.CancelAsync();
            token.ThrowIfCancellationRequested();
        });
        var trace = new UpstreamTrace();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await InvokeAsync(deployment, script, trace, caller.Token));

        Assert.Equal([("d", 0, "client_closed")], trace.Attempts.Select(a => (a.Deployment, a.Status, a.Error)));
    }

    [Fact]
    public async Task Breaker_IsTheDeploymentsOwn_InProcessFailuresOpenItForHttpCallsToo()
    {
        const string resilience = "{ retries: 0, breaker: { failure_ratio: 0.5, min_throughput: 4, window: 30s, break_for: 30s } }";
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Ok());
        var deployment = fake.Build(Config(resilience)).Deployments["d"];
        var script = new Script((_, call, _) =>
        {
            call.Status = 503;
            return Task.CompletedTask;
        });
        for (var i = 0; i < 4; i++)
        {
            using var failed = await InvokeAsync(deployment, script, new UpstreamTrace(), Ct);
            Assert.Equal(FailureKind.ServerError, failed.Failure!.Kind);
        }

        using var refused = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.Equal((FailureKind.BreakerOpen, 503, "breaker_open"), (refused.Failure!.Kind, refused.Failure.Status, refused.Failure.Code));
        Assert.Equal(0, fake.Calls("p"));
    }

    [Fact]
    public async Task FallbackChain_OverInProcessAttempts_NextDeploymentServes_StepIsNoted()
    {
        var snapshot = new FakeUpstream().Build(Config("{ retries: 0 }"));
        var plan = snapshot.Routes["r"].Policy.Decide(RequestView.For("""{"model":"r","messages":[{"role":"user","content":"hi"}]}"""));
        var trace = new UpstreamTrace();
        var scripts = new Dictionary<string, Script>
        {
            ["d"] = new((_, call, _) =>
            {
                call.Status = 503;
                return Task.CompletedTask;
            }),
            ["e"] = new((_, call, _) =>
            {
                call.Succeed("from e");
                return Task.CompletedTask;
            }),
        };

        using var result = await FallbackChain.ServeAsync(plan, trace, "req-1", scripts,
            static (deployment, s, token) => InvokeAsync(deployment, s[deployment.Name], new UpstreamTrace(), token), NullLogger.Instance, Ct);

        Assert.Equal(("e", "from e"), (result.Deployment.Name, result.Answer));
        Assert.Equal("; fallback: d 503 -> e", trace.Notes);
    }
}
