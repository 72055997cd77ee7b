using Tandem.Eval.Running;
using Tandem.Eval.Tests.Infrastructure;
using Tandem.Simulator;
using Tandem.Upstream;
using Xunit;

namespace Tandem.Eval.Tests.Running;

/// <summary>The eval runner's retries wait what the upstream asks (Retry-After, capped), not their own backoff.</summary>
public sealed class EvalRetryAfterTests
{
    [Theory]
    [InlineData(60.0, 60.0, 60.0)] // exactly the cap: honoured as is
    [InlineData(60.5, 60.0, 60.0)] // just over: the cap
    [InlineData(0.0, 60.0, 0.0)] // "retry now": no wait, not the backoff
    [InlineData(0.25, 0.1, 0.1)]
    public void RetryDelayFor_RetryAfterAtAndAroundTheCap(double retryAfterSeconds, double capSeconds, double expectedSeconds)
    {
        var reply = new UpstreamReply { Status = 429, RetryAfter = TimeSpan.FromSeconds(retryAfterSeconds) };

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), EvalRunner.RetryDelayFor(reply, TimeSpan.FromSeconds(capSeconds)));
        Assert.Null(EvalRunner.RetryDelayFor(null, TimeSpan.FromSeconds(capSeconds)));
    }

    [Fact]
    public async Task RunAsync_RateLimitedWithRetryAfterZero_RetriesAtOnce_NotAfterTheBackoff()
    {
        // Half the calls get a 429 with "Retry-After: 0". The runner's own backoff is set to an hour (capped at its
        // 30 s maximum), so a runner that ignored the hint would wait at least 30 s on the first retry; honouring
        // it, the run takes well under the 25 s this test allows before it cancels the run and fails.
        using var dir = new TempDir();
        var (suite, answers) = EvalRunnerTests.Clinc(dir, 20);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Answers = answers,
            Seed = 3,
            Faults = [new Fault(FaultKind.Status429, 0.5)],
            RetryAfterSeconds = 0,
        }, cancellationToken: Ct);
        var snapshot = TestEnv.Snapshot(GatewayConfigs.PerUpstream(("a", "m", null)).Replace("    model: m\n", "    model: m\n    resilience: { retries: 0 }\n", StringComparison.Ordinal), sim);
        var options = new EvalRunOptions
        {
            Deployments = ["a"],
            OutputDirectory = dir.File("out"),
            Concurrency = 4,
            MaxRetries = 10,
            RetryDelay = TimeSpan.FromHours(1),
            MaxRetryAfter = TimeSpan.FromSeconds(60),
        };
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bound.CancelAfter(TimeSpan.FromSeconds(25));

        var run = await new EvalRunner(snapshot, options).RunAsync(suite, cancellationToken: bound.Token);

        Assert.All(run.Records, r => Assert.True(r.Ok, r.Error));
        Assert.True(sim.Stats.Faults > 0);
        Assert.Equal(20 + sim.Stats.Faults, run.Records.Sum(r => r.Attempts));
    }
}
