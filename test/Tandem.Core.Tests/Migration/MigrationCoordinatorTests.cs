using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Tandem.Configuration;
using Tandem.Migration;
using Tandem.Routing;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Migration;

/// <summary>
/// What the coordinator does with a gate report under <c>auto</c>: advance one step when every gate passes, roll back
/// from canary or cutover only on a quality failure backed by <c>min_samples</c> compared samples, and what a restarted
/// migration stands on. State lives in an in-memory store; time is a fake clock, so stage windows are exact.
/// </summary>
public sealed class MigrationCoordinatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static string Yaml(string? migration) => $$"""
        auth: { disabled: true }
        providers:
          - { name: p, base_url: "http://127.0.0.1:1/v1" }
        deployments:
          - { name: old, provider: p, model: m-old }
          - { name: new, provider: p, model: m-new }
          - { name: spare, provider: p, model: m-spare }
        routes:
          - name: r
            deployment: old
        {{(migration is null ? "" : "    migration: " + migration)}}
        """;

    private static string Migration(string stage, bool auto = true, int minSamples = 10, string minDuration = "0s") =>
        $"{{ to: new, stage: {stage}, auto: {(auto ? "true" : "false")}, canary_steps: [5, 25, 50], gates: {{ min_samples: {minSamples}, min_duration: {minDuration}, min_agreement: 0.9, max_error_rate: 0.5 }} }}";

    private sealed class Fixture : IAsyncDisposable
    {
        public Fixture(string? migration)
        {
            Snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Yaml(migration)), null);
            Coordinator = new MigrationCoordinator(Store, () => Snapshot, NullLogger.Instance, Clock, workers: 1);
        }

        public MemoryMigrationStore Store { get; } = new();

        public FakeTimeProvider Clock { get; } = new(T0);

        public GatewaySnapshot Snapshot { get; }

        public MigrationCoordinator Coordinator { get; }

        public MigrationState State => Store.Get("r")!;

        /// <summary>Stores compared samples taken now: <paramref name="agree"/> that agree and <paramref name="disagree"/> that do not.</summary>
        public Task AddAsync(int agree, int disagree) => Store.AddSamplesAsync([
            .. Enumerable.Range(0, agree).Select(i => Sample(true, i)),
            .. Enumerable.Range(0, disagree).Select(i => Sample(false, i)),
        ]);

        private ShadowSample Sample(bool agree, int i) => new()
        {
            Route = "r",
            RequestId = "q" + i,
            Time = Clock.GetUtcNow(),
            IncumbentAnswer = "a",
            CandidateAnswer = agree ? "a" : "b",
            IncumbentLabel = "a",
            CandidateLabel = agree ? "a" : "b",
            Agree = agree,
        };

        public ValueTask DisposeAsync() => Coordinator.DisposeAsync();
    }

    private static string[] Moves(MemoryMigrationStore store) =>
        [.. store.Events.Where(e => e.Kind != MigrationEventKinds.Start).Select(e => $"{e.Kind} {e.From} -> {e.To} ({e.Trigger})")];

    [Fact]
    public async Task Start_ConfiguredMigration_IsCreatedOnceAtItsConfiguredStage()
    {
        await using var f = new Fixture(Migration("canary"));

        await f.Coordinator.StartAsync(Ct);
        await f.Coordinator.SyncWithConfigAsync(Ct);

        Assert.Equal(new MigrationState { Route = "r", Incumbent = "old", Candidate = "new", Stage = MigrationStage.Canary, StartedAt = T0, StageEnteredAt = T0, Version = 1 }, f.State);
        var start = Assert.Single(f.Store.Events);
        Assert.Equal(("start", null, "canary 5%", "config"), (start.Kind, start.From, start.To, start.Trigger));
        Assert.True(f.Coordinator.HasMigrations);
    }

    [Fact]
    public async Task Start_ConfiguredAtFull_IsPinned()
    {
        await using var f = new Fixture(Migration("full"));

        await f.Coordinator.StartAsync(Ct);

        Assert.Equal((MigrationStage.Full, true), (f.State.Stage, f.State.Pinned));
    }

    [Fact]
    public async Task Start_NoMigrationAnywhere_HasNone()
    {
        await using var f = new Fixture(null);

        await f.Coordinator.StartAsync(Ct);

        Assert.False(f.Coordinator.HasMigrations);
        Assert.Empty(await f.Coordinator.EvaluateAsync(cancellationToken: Ct));
    }

    [Theory]
    [InlineData("canary", "canary 5%")]
    [InlineData("cutover", "cutover")]
    public async Task Evaluate_QualityFailure_RollsBackOnlyOnceMinSamplesAreCompared(string stage, string label)
    {
        await using var f = new Fixture(Migration(stage, minSamples: 10));
        await f.Coordinator.StartAsync(Ct);

        // 9 compared, all disagreeing: agreement 0 fails, but 9 < min_samples 10 is not enough evidence to act on.
        await f.AddAsync(0, 9);
        await f.Coordinator.EvaluateAsync(cancellationToken: Ct);
        Assert.Equal(Enum.Parse<MigrationStage>(stage, true), f.State.Stage);
        Assert.Empty(Moves(f.Store));

        // The 10th: exactly min_samples, enough.
        f.Clock.Advance(TimeSpan.FromSeconds(5));
        await f.AddAsync(0, 1);
        var report = (await f.Coordinator.EvaluateAsync(cancellationToken: Ct))["r"];

        Assert.Equal((10, 0.0), (report.Compared, report.Agreement));
        Assert.Equal(MigrationStage.RolledBack, f.State.Stage);
        Assert.Equal((2L, T0.AddSeconds(5)), (f.State.Version, f.State.StageEnteredAt));
        Assert.Equal([$"rollback {label} -> rolled back (auto)"], Moves(f.Store));
        Assert.Contains("\"compared\":10,", f.Store.Events[^1].Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_QualityFailureInShadow_NeverRollsBack()
    {
        await using var f = new Fixture(Migration("shadow", minSamples: 10));
        await f.Coordinator.StartAsync(Ct);
        await f.AddAsync(0, 50);

        await f.Coordinator.EvaluateAsync(cancellationToken: Ct);

        Assert.Equal(MigrationStage.Shadow, f.State.Stage);
        Assert.Empty(Moves(f.Store));
        var evaluation = Assert.Single(await f.Store.EvaluationsAsync("r", 10, Ct));
        Assert.Equal(("shadow", "fail: agreement", T0), (evaluation.Stage, evaluation.Outcome, evaluation.Time));
    }

    [Fact]
    public async Task Evaluate_TooFewSamples_NeitherAdvancesNorRollsBack()
    {
        await using var f = new Fixture(Migration("canary", minSamples: 10));
        await f.Coordinator.StartAsync(Ct);
        await f.AddAsync(9, 0);

        await f.Coordinator.EvaluateAsync(cancellationToken: Ct);

        Assert.Equal((MigrationStage.Canary, 0, 1L), (f.State.Stage, f.State.CanaryStep, f.State.Version));
        Assert.Equal("fail: samples", (await f.Store.EvaluationsAsync("r", 1, Ct))[0].Outcome);
    }

    [Theory]
    [InlineData("canary")]
    [InlineData("cutover")]
    public async Task Evaluate_EnoughGoodSamplesButTooShortAStage_NeitherAdvancesNorRollsBack(string stage)
    {
        // 10 compared, all agreeing: samples and agreement pass; only the hour in the stage is missing. That is no
        // quality failure, so it is no reason to roll back, however many samples there are.
        await using var f = new Fixture(Migration(stage, minSamples: 10, minDuration: "1h"));
        await f.Coordinator.StartAsync(Ct);
        await f.AddAsync(10, 0);
        f.Clock.Advance(TimeSpan.FromMinutes(59));

        var report = (await f.Coordinator.EvaluateAsync(cancellationToken: Ct))["r"];

        Assert.Equal((false, false, 10), (report.AllPassed, report.QualityFailed, report.Compared));
        Assert.Equal((Enum.Parse<MigrationStage>(stage, true), 1L), (f.State.Stage, f.State.Version));
        Assert.Empty(Moves(f.Store));
        Assert.Equal("fail: duration", (await f.Store.EvaluationsAsync("r", 1, Ct))[0].Outcome);
    }

    [Fact]
    public async Task Evaluate_AllGatesPass_AdvancesOneStepPerEvaluation_ThroughEveryStageToFull()
    {
        await using var f = new Fixture(Migration("shadow", minSamples: 10));
        await f.Coordinator.StartAsync(Ct);

        for (var round = 1; round <= 5; round++)
        {
            f.Clock.Advance(TimeSpan.FromMinutes(1));
            await f.AddAsync(10, 0); // 10 / 10 agree >= 0.9
            f.Clock.Advance(TimeSpan.FromSeconds(1));

            await f.Coordinator.EvaluateAsync(cancellationToken: Ct);

            // Evidence counts from the step's start: the same samples never advance two steps.
            await f.Coordinator.EvaluateAsync(cancellationToken: Ct);
            Assert.Equal(round + 1L, f.State.Version);
            Assert.Equal(T0.AddSeconds(61 * round), f.State.StageEnteredAt);
        }

        Assert.Equal(
        [
            "advance shadow -> canary 5% (auto)",
            "advance canary 5% -> canary 25% (auto)",
            "advance canary 25% -> canary 50% (auto)",
            "advance canary 50% -> cutover (auto)",
            "advance cutover -> full (auto)",
        ], Moves(f.Store));
        Assert.Equal((MigrationStage.Full, true), (f.State.Stage, f.State.Pinned));

        // Full is not evaluated any more: no evaluation row is added for it.
        var before = (await f.Store.EvaluationsAsync("r", 100, Ct)).Sum(e => e.Count);
        f.Clock.Advance(TimeSpan.FromMinutes(1));
        await f.AddAsync(10, 0);
        Assert.True((await f.Coordinator.EvaluateAsync(cancellationToken: Ct)).ContainsKey("r"));
        Assert.Equal(before, (await f.Store.EvaluationsAsync("r", 100, Ct)).Sum(e => e.Count));
        Assert.Equal(6L, f.State.Version);
    }

    [Fact]
    public async Task Evaluate_MinDuration_CountsFromTheStageStart_BoundPasses()
    {
        await using var f = new Fixture(Migration("shadow", minSamples: 1, minDuration: "10m"));
        await f.Coordinator.StartAsync(Ct);
        await f.AddAsync(5, 0);

        f.Clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        await f.Coordinator.EvaluateAsync(cancellationToken: Ct);
        Assert.Equal(MigrationStage.Shadow, f.State.Stage);

        f.Clock.Advance(TimeSpan.FromSeconds(1)); // exactly 10 minutes in the stage
        await f.Coordinator.EvaluateAsync(cancellationToken: Ct);
        Assert.Equal(MigrationStage.Canary, f.State.Stage);
    }

    [Fact]
    public async Task Evaluate_NotAuto_RecordsTheEvaluationButNeverActs()
    {
        await using var f = new Fixture(Migration("canary", auto: false));
        await f.Coordinator.StartAsync(Ct);
        await f.AddAsync(10, 0);
        var passing = await f.Coordinator.EvaluateAsync(cancellationToken: Ct);
        f.Clock.Advance(TimeSpan.FromMinutes(1));
        await f.AddAsync(0, 40);
        var failing = await f.Coordinator.EvaluateAsync(cancellationToken: Ct);

        Assert.True(passing["r"].AllPassed);
        Assert.True(failing["r"].QualityFailed);
        Assert.Equal((MigrationStage.Canary, 1L), (f.State.Stage, f.State.Version));
        Assert.Equal(["fail: agreement", "pass"], (await f.Store.EvaluationsAsync("r", 10, Ct)).Select(e => e.Outcome));
    }

    [Fact]
    public async Task Evaluate_OnlyRoute_LeavesOtherRoutesAlone()
    {
        await using var f = new Fixture(Migration("shadow"));
        await f.Coordinator.StartAsync(Ct);
        await f.AddAsync(10, 0);

        Assert.Empty(await f.Coordinator.EvaluateAsync("other", Ct));
        Assert.Equal(MigrationStage.Shadow, f.State.Stage);
        Assert.Equal(["r"], (await f.Coordinator.EvaluateAsync("r", Ct)).Keys);
        Assert.Equal(MigrationStage.Canary, f.State.Stage);
    }

    [Fact]
    public async Task Evaluate_AnotherInstanceMovedFirst_TakesItsState()
    {
        await using var f = new Fixture(Migration("shadow"));
        await f.Coordinator.StartAsync(Ct);
        await f.AddAsync(10, 0);
        f.Store.LoseNextUpdate = true;

        await f.Coordinator.EvaluateAsync(cancellationToken: Ct);

        // The other writer's version (2) is what the coordinator now holds; it recorded no move of its own.
        Assert.Equal(2L, f.Coordinator.States["r"].Version);
        Assert.Empty(Moves(f.Store));
    }

    [Fact]
    public async Task StartMigration_AfterFull_TheCandidateThatServesIsTheNewIncumbent()
    {
        await using var f = new Fixture(null);
        f.Store.Put(new MigrationState { Route = "r", Incumbent = "old", Candidate = "new", Stage = MigrationStage.Full, Pinned = true, Version = 7, StartedAt = T0.AddDays(-3) });
        await f.Coordinator.StartAsync(Ct);
        f.Clock.Advance(TimeSpan.FromHours(1));

        var started = await f.Coordinator.StartMigrationAsync("r", "spare", Ct);

        var expected = new MigrationState
        {
            Route = "r", Incumbent = "new", Candidate = "spare", Stage = MigrationStage.Shadow, StartedAt = T0.AddHours(1), StageEnteredAt = T0.AddHours(1), Version = 8,
        };
        Assert.Equal(expected, started);
        Assert.Equal(expected, f.State);
        Assert.Same(started, f.Coordinator.States["r"]);
        var start = f.Store.Events[^1];
        Assert.Equal(("start", "shadow", "manual", "{\"candidate\":\"spare\"}"), (start.Kind, start.To, start.Trigger, start.Evidence));
    }

    [Fact]
    public async Task StartMigration_AfterRollback_KeepsTheIncumbent()
    {
        await using var f = new Fixture(null);
        f.Store.Put(new MigrationState { Route = "r", Incumbent = "old", Candidate = "new", Stage = MigrationStage.RolledBack, Version = 3 });
        await f.Coordinator.StartAsync(Ct);

        var started = await f.Coordinator.StartMigrationAsync("r", "spare", Ct);

        Assert.Equal(("old", "spare", MigrationStage.Shadow, 4L, false), (started.Incumbent, started.Candidate, started.Stage, started.Version, started.Pinned));
    }

    [Fact]
    public async Task StartMigration_FirstOne_StandsOnTheRoutesIncumbent()
    {
        await using var f = new Fixture(null);

        var started = await f.Coordinator.StartMigrationAsync("r", "new", Ct);

        Assert.Equal(("old", "new", MigrationStage.Shadow, 1L), (started.Incumbent, started.Candidate, started.Stage, started.Version));
        Assert.True(f.Coordinator.HasMigrations);
    }

    [Theory]
    [InlineData(MigrationStage.Shadow, "shadow")]
    [InlineData(MigrationStage.Canary, "canary")]
    [InlineData(MigrationStage.Cutover, "cutover")]
    public async Task StartMigration_WhileOneRuns_IsRefused(MigrationStage stage, string name)
    {
        await using var f = new Fixture(null);
        f.Store.Put(new MigrationState { Route = "r", Incumbent = "old", Candidate = "new", Stage = stage, Version = 2 });

        var e = await Assert.ThrowsAsync<MigrationException>(() => f.Coordinator.StartMigrationAsync("r", "spare", Ct));

        Assert.Equal($"route 'r' already has a migration in stage {name}", e.Message);
        Assert.Equal(2L, f.State.Version);
    }

    [Fact]
    public async Task StartMigration_UnknownRouteOrDeployment_OrAConcurrentChange_IsRefused()
    {
        await using var f = new Fixture(null);

        Assert.Equal("unknown route 'nope'", (await Assert.ThrowsAsync<MigrationException>(() => f.Coordinator.StartMigrationAsync("nope", "new", Ct))).Message);
        Assert.Equal("unknown deployment 'nope'", (await Assert.ThrowsAsync<MigrationException>(() => f.Coordinator.StartMigrationAsync("r", "nope", Ct))).Message);

        f.Store.Put(new MigrationState { Route = "r", Incumbent = "old", Candidate = "new", Stage = MigrationStage.RolledBack, Version = 3 });
        f.Store.LoseNextUpdate = true;
        Assert.Equal("the migration changed concurrently; retry", (await Assert.ThrowsAsync<MigrationException>(() => f.Coordinator.StartMigrationAsync("r", "spare", Ct))).Message);
    }

    [Fact]
    public async Task Commands_AdvanceRollbackPin_FromTheStagesTheyApplyTo()
    {
        await using var f = new Fixture(Migration("canary", auto: false));
        await f.Coordinator.StartAsync(Ct);

        Assert.Equal(1, (await f.Coordinator.CommandAsync("r", "advance", Ct)).CanaryStep);
        Assert.Equal(2, (await f.Coordinator.CommandAsync("r", "advance", Ct)).CanaryStep);
        Assert.Equal(MigrationStage.Cutover, (await f.Coordinator.CommandAsync("r", "advance", Ct)).Stage);
        var pinned = await f.Coordinator.CommandAsync("r", "pin", Ct);
        Assert.Equal((MigrationStage.Full, true), (pinned.Stage, pinned.Pinned));

        // Rollback from full takes the pin away.
        var back = await f.Coordinator.CommandAsync("r", "rollback", Ct);
        Assert.Equal((MigrationStage.RolledBack, false), (back.Stage, back.Pinned));

        Assert.Equal(
        [
            "advance canary 5% -> canary 25% (manual)",
            "advance canary 25% -> canary 50% (manual)",
            "advance canary 50% -> cutover (manual)",
            "pin cutover -> full (manual)",
            "rollback full -> rolled back (manual)",
        ], Moves(f.Store));
    }

    [Fact]
    public async Task Commands_ThatDoNotApply_AreRefusedWithTheStage()
    {
        await using var f = new Fixture(Migration("full", auto: false));
        await f.Coordinator.StartAsync(Ct);

        Assert.Equal("cannot advance a migration in stage full", (await Assert.ThrowsAsync<MigrationException>(() => f.Coordinator.CommandAsync("r", "advance", Ct))).Message);
        Assert.Equal("cannot jump a migration in stage full", (await Assert.ThrowsAsync<MigrationException>(() => f.Coordinator.CommandAsync("r", "jump", Ct))).Message);
        await f.Coordinator.CommandAsync("r", "rollback", Ct);
        Assert.Equal("cannot rollback a migration in stage rolled back", (await Assert.ThrowsAsync<MigrationException>(() => f.Coordinator.CommandAsync("r", "rollback", Ct))).Message);
        Assert.Equal("cannot advance a migration in stage rolled back", (await Assert.ThrowsAsync<MigrationException>(() => f.Coordinator.CommandAsync("r", "advance", Ct))).Message);
        Assert.Equal("route 'x' has no migration", (await Assert.ThrowsAsync<MigrationException>(() => f.Coordinator.CommandAsync("x", "pin", Ct))).Message);
    }

    [Fact]
    public async Task Command_LosingToAnotherWriter_IsRefused()
    {
        await using var f = new Fixture(Migration("shadow", auto: false));
        await f.Coordinator.StartAsync(Ct);
        f.Store.LoseNextUpdate = true;

        var e = await Assert.ThrowsAsync<MigrationException>(() => f.Coordinator.CommandAsync("r", "advance", Ct));

        Assert.Equal("the migration changed concurrently; retry", e.Message);
        Assert.Equal((MigrationStage.Shadow, 2L), (f.State.Stage, f.State.Version));
    }

    [Fact]
    public async Task Apply_PlansRoutesWithAMigration_AndLeavesOthersAlone()
    {
        await using var f = new Fixture(Migration("cutover"));
        await f.Coordinator.StartAsync(Ct);
        var request = RequestView.For("""{"model":"r","messages":[{"role":"user","content":"hi"}]}""");
        var route = f.Snapshot.Routes["r"];

        var decision = f.Coordinator.Apply(route, request, route.Policy.Decide(request))!;

        Assert.Equal(["new", "old"], decision.Plan.Chain.Select(d => d.Name));
        Assert.Equal(MigrationSides.Candidate, decision.Served);

        await using var none = new Fixture(null);
        await none.Coordinator.StartAsync(Ct);
        Assert.Null(none.Coordinator.Apply(none.Snapshot.Routes["r"], request, none.Snapshot.Routes["r"].Policy.Decide(request)));
    }

    [Fact]
    public async Task Command_OnAMigrationAnotherInstanceStarted_IsCarriedOut()
    {
        // This instance started before the migration existed; another instance started it in the shared store.
        await using var f = new Fixture(null);
        await f.Coordinator.StartAsync(Ct);
        f.Store.Put(new MigrationState { Route = "r", Incumbent = "old", Candidate = "new", Stage = MigrationStage.Shadow, Version = 1 });

        var advanced = await f.Coordinator.CommandAsync("r", "advance", Ct);

        Assert.Equal((MigrationStage.Canary, 2L), (advanced.Stage, advanced.Version));
    }

    [Fact]
    public async Task StageChange_IsLogged()
    {
        var logs = new ListLogger();
        var snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Yaml(Migration("shadow", auto: false))), null);
        await using var coordinator = new MigrationCoordinator(new MemoryMigrationStore(), () => snapshot, logs, new FakeTimeProvider(T0), workers: 1);
        await coordinator.StartAsync(Ct);

        await coordinator.CommandAsync("r", "advance", Ct);

        Assert.Contains("Route r: migration advance shadow -> canary 5% (manual)", logs.Messages);
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
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

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_messages)
            {
                _messages.Add(formatter(state, exception));
            }
        }
    }

    [Fact]
    public void SettingsFor_RouteWithoutMigrationConfig_DefaultsWithTheStoredCandidate()
    {
        var snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Yaml(null)), null);
        var state = new MigrationState { Route = "r", Incumbent = "old", Candidate = "spare" };

        var settings = MigrationCoordinator.SettingsFor(snapshot.Routes["r"], state);

        Assert.Equal("spare", settings.To);
        Assert.Equal([5.0, 25.0, 50.0], settings.CanarySteps);
        Assert.False(settings.Auto);
    }
}
