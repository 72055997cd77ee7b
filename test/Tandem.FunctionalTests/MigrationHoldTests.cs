using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Tandem.Configuration;
using Tandem.Migration;
using Tandem.Runtime;
using Tandem.Storage;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>A candidate whose gates fail in shadow is held visibly, and — with hold_limit — stopped.</summary>
public sealed class MigrationHoldTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);

    private static string Config(string holdLimit) => $$"""
        auth: { disabled: true }
        providers: [ { name: p, base_url: "http://127.0.0.1:9/v1" } ]
        deployments:
          - { name: incumbent, provider: p, model: a }
          - { name: candidate, provider: p, model: b }
        routes:
          - name: intent
            deployment: incumbent
            migration:
              to: candidate
              stage: shadow
              auto: true
              gates: { min_samples: 10, min_duration: 0s, min_agreement: 0.9, max_error_rate: 0.05 }
              evaluate_every: 1h
              {{holdLimit}}
        """;

    private static async Task<(MigrationCoordinator Coordinator, StorageDatabase Database, FakeTimeProvider Time, Logs Logs)> StartAsync(TempDir dir, string holdLimit)
    {
        var time = new FakeTimeProvider(T0);
        var database = StorageFactory.OpenSqlite(dir.File("tandem.db"), new StorageConfig(), time);
        await database.MigrateAsync(Ct);
        var snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Config(holdLimit)), null, new RuntimeServices { Time = time });
        var logs = new Logs();
        var coordinator = new MigrationCoordinator(database.Migrations, () => snapshot, logs, time);
        await coordinator.StartAsync(Ct);

        // 20 compared shadow answers, 10 agreeing: agreement 0.5 against a gate of 0.9; every other gate passes.
        var samples = Enumerable.Range(0, 20).Select(i => new ShadowSample
        {
            Route = "intent",
            RequestId = "r" + i,
            Time = T0.AddSeconds(1),
            Stage = "shadow",
            IncumbentAnswer = "x",
            CandidateAnswer = i < 10 ? "x" : "y",
            Agree = i < 10,
            IncumbentLatencyMs = 10,
            CandidateLatencyMs = 10,
        }).ToList();
        await database.Migrations.AddSamplesAsync(samples, Ct);
        return (coordinator, database, time, logs);
    }

    [Fact]
    public async Task FailingGatesInShadow_HoldTheMigration_LoggedOnce_AndStoppedAfterTheHoldLimit()
    {
        using var dir = new TempDir();
        var (coordinator, database, time, logs) = await StartAsync(dir, "hold_limit: 2h");
        await using (database)
        await using (coordinator)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            await coordinator.EvaluateAsync(cancellationToken: Ct);
            var hold = coordinator.Holds["intent"];
            Assert.Equal(("shadow", T0.AddMinutes(1)), (hold.Stage, hold.Since));
            Assert.Equal(["agreement"], hold.Gates);
            Assert.Equal(MigrationStage.Shadow, coordinator.States["intent"].Stage);

            time.Advance(TimeSpan.FromHours(1));
            await coordinator.EvaluateAsync(cancellationToken: Ct);
            Assert.Equal(T0.AddMinutes(1), coordinator.Holds["intent"].Since);
            Assert.Equal(MigrationStage.Shadow, coordinator.States["intent"].Stage);

            // 2 h after the first failing evaluation: stopped.
            time.Advance(TimeSpan.FromHours(1));
            await coordinator.EvaluateAsync(cancellationToken: Ct);
            Assert.Equal(MigrationStage.RolledBack, coordinator.States["intent"].Stage);
            Assert.False(coordinator.Holds.ContainsKey("intent"));
            var last = (await database.Migrations.EventsAsync("intent", 1, cancellationToken: Ct)).Single();
            Assert.Equal(("rollback", "hold_limit", "shadow", "rolled back"), (last.Kind, last.Trigger, last.From, last.To));
        }

        // One warning when the hold started, not one per evaluation.
        Assert.Equal(["Route intent: migration held in shadow by gate(s) agreement (0.5 vs >= 0.9)"], logs.Messages.Where(m => m.Contains("held", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task WithoutAHoldLimit_TheMigrationStaysHeld()
    {
        using var dir = new TempDir();
        var (coordinator, database, time, _) = await StartAsync(dir, "");
        await using (database)
        await using (coordinator)
        {
            for (var i = 0; i < 10; i++)
            {
                time.Advance(TimeSpan.FromHours(1));
                await coordinator.EvaluateAsync(cancellationToken: Ct);
            }

            Assert.Equal(MigrationStage.Shadow, coordinator.States["intent"].Stage);
            Assert.Equal(T0.AddHours(1), coordinator.Holds["intent"].Since);
        }
    }

    private sealed class Logs : ILogger
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Enqueue(formatter(state, exception));
    }
}
