using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Tandem.Configuration;
using Tandem.Migration;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Migration;

/// <summary>
/// When the gates hold a migration in its stage: since the first failing evaluation of the current run of failures
/// (read back from the stored evaluations, so a passing evaluation in between starts a new hold), which gates hold it,
/// that a passing evaluation ends the hold, and that the hold is logged when it starts, not on every evaluation.
/// </summary>
public sealed class MigrationHoldTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private const string Yaml = """
        auth: { disabled: true }
        providers:
          - { name: p, base_url: "http://127.0.0.1:1/v1" }
        deployments:
          - { name: old, provider: p, model: m-old }
          - { name: new, provider: p, model: m-new }
        routes:
          - name: r
            deployment: old
            migration: { to: new, stage: shadow, auto: false, gates: { min_samples: 10, min_duration: 0s, min_agreement: 0.9, max_error_rate: 0.5 } }
        """;

    private sealed class ListLogger : ILogger
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }

    private static ShadowSample Sample(DateTimeOffset time, bool agree, int i) => new()
    {
        Route = "r",
        RequestId = (agree ? "a" : "d") + i,
        Time = time,
        IncumbentAnswer = "x",
        CandidateAnswer = agree ? "x" : "y",
        IncumbentLabel = "x",
        CandidateLabel = agree ? "x" : "y",
        Agree = agree,
    };

    [Fact]
    public async Task Hold_SinceTheCurrentRunOfFailures_EndsOnAPass_AndIsLoggedWhenItStarts()
    {
        var store = new MemoryMigrationStore();
        var clock = new FakeTimeProvider(T0);
        var logger = new ListLogger();
        var snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Yaml), null);
        await using var coordinator = new MigrationCoordinator(store, () => snapshot, logger, clock, workers: 1);
        await coordinator.StartAsync(Ct);

        // T0: nothing compared. samples (0 of 10) and agreement (unmeasured) fail; duration (>= 0) and the error rate
        // (unmeasured) pass.
        await coordinator.EvaluateAsync(cancellationToken: Ct);
        var first = coordinator.Holds["r"];
        Assert.Equal(("shadow", T0), (first.Stage, first.Since));
        Assert.Equal(["samples", "agreement"], first.Gates);

        // T0 + 5 min: the same failures. The hold still dates from T0, and it is not logged again.
        clock.Advance(TimeSpan.FromMinutes(5));
        await coordinator.EvaluateAsync(cancellationToken: Ct);
        Assert.Equal(T0, coordinator.Holds["r"].Since);

        // T0 + 10 min: ten agreeing samples, every gate passes: no hold (auto is off, so the stage stays).
        clock.Advance(TimeSpan.FromMinutes(5));
        await store.AddSamplesAsync([.. Enumerable.Range(0, 10).Select(i => Sample(clock.GetUtcNow(), true, i))], Ct);
        await coordinator.EvaluateAsync(cancellationToken: Ct);
        Assert.False(coordinator.Holds.ContainsKey("r"));

        // T0 + 15 min: ten disagreeing samples: 10 of 20 agree, 0.5 < 0.9. A new hold, since now: the passing
        // evaluation at T0 + 10 min ends the earlier run of failures.
        clock.Advance(TimeSpan.FromMinutes(5));
        await store.AddSamplesAsync([.. Enumerable.Range(0, 10).Select(i => Sample(clock.GetUtcNow(), false, i))], Ct);
        await coordinator.EvaluateAsync(cancellationToken: Ct);
        var second = coordinator.Holds["r"];
        Assert.Equal(T0.AddMinutes(15), second.Since);
        Assert.Equal(["agreement"], second.Gates);

        Assert.Equal(
            [
                "Route r: migration held in shadow by gate(s) samples (0 vs >= 10), agreement (n/a vs >= 0.9)",
                "Route r: migration held in shadow by gate(s) agreement (0.5 vs >= 0.9)",
            ],
            logger.Warnings);
        Assert.Equal(MigrationStage.Shadow, store.Get("r")!.Stage);
    }
}
