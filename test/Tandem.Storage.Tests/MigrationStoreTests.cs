using Tandem.Configuration;
using Tandem.Migration;
using Xunit;

namespace Tandem.Storage.Tests;

/// <summary>The migration store, run unchanged against SQLite and PostgreSQL through the two subclasses below.</summary>
public abstract class MigrationStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
    private Func<Task>? _cleanup;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private StorageDatabase Database { get; set; } = null!;

    private IMigrationStore Store => Database.Migrations;

    protected abstract Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options);

    public async ValueTask InitializeAsync()
    {
        (Database, _cleanup) = await CreateAsync(new StorageConfig { RetentionDays = 90, RollupRetentionDays = 365 });
    }

    public async ValueTask DisposeAsync()
    {
        if (_cleanup is not null)
        {
            await _cleanup();
        }

        GC.SuppressFinalize(this);
    }

    private static ShadowSample Sample(string id, DateTimeOffset time) => new()
    {
        Route = "intent", RequestId = id, Time = time, Stage = "shadow", ServedBy = "incumbent",
        IncumbentAnswer = "card_lost", CandidateAnswer = "card_lost \u00e9", IncumbentLabel = "card_lost", CandidateLabel = "card_lost_e",
        Agree = false, CandidateLatencyMs = 12.5, IncumbentLatencyMs = 30.25, Similarity = 0.5, CandidateCost = 0.000125, JudgeScore = 4,
    };

    private static MigrationEvaluation Evaluation(DateTimeOffset time, string stage, string outcome, string evidence = "{}") =>
        new() { Route = "intent", FirstTime = time, Time = time, Stage = stage, Outcome = outcome, Evidence = evidence };

    [Fact]
    public async Task Samples_RoundTripEveryField_AndFilterByTime()
    {
        var sample = Sample("req_1", Noon);
        await Store.AddSamplesAsync([sample, sample with { RequestId = "req_2", Agree = null, CandidateError = "timeout", CandidateAnswer = null, JudgeScore = null }], Ct);

        var read = await Store.SamplesAsync("intent", Noon.AddSeconds(-1), Ct);
        Assert.Equal([sample, sample with { RequestId = "req_2", Agree = null, CandidateError = "timeout", CandidateAnswer = null, JudgeScore = null }], read);
        Assert.Empty(await Store.SamplesAsync("intent", Noon.AddTicks(10), Ct));
        Assert.Empty(await Store.SamplesAsync("other", Noon.AddSeconds(-1), Ct));
    }

    [Fact]
    public async Task RecordEvaluation_SameStageAndOutcome_ExtendsTheRun_AChangeStartsANewOne()
    {
        await Store.RecordEvaluationAsync(Evaluation(Noon, "shadow", "fail: samples", "{\"samples\":1}"), Ct);
        await Store.RecordEvaluationAsync(Evaluation(Noon.AddSeconds(30), "shadow", "fail: samples", "{\"samples\":2}"), Ct);
        await Store.RecordEvaluationAsync(Evaluation(Noon.AddSeconds(60), "shadow", "fail: samples", "{\"samples\":3}"), Ct);
        await Store.RecordEvaluationAsync(Evaluation(Noon.AddSeconds(90), "shadow", "pass", "{\"samples\":4}"), Ct);
        await Store.RecordEvaluationAsync(Evaluation(Noon.AddSeconds(120), "canary 5%", "pass", "{\"samples\":0}"), Ct);

        var runs = await Store.EvaluationsAsync("intent", 10, Ct);
        Assert.Equal(
            [
                ("canary 5%", "pass", 1, Noon.AddSeconds(120), Noon.AddSeconds(120), "{\"samples\":0}"),
                ("shadow", "pass", 1, Noon.AddSeconds(90), Noon.AddSeconds(90), "{\"samples\":4}"),
                ("shadow", "fail: samples", 3, Noon, Noon.AddSeconds(60), "{\"samples\":3}"),
            ],
            runs.Select(r => (r.Stage, r.Outcome, r.Count, r.FirstTime, r.Time, r.Evidence)));
        Assert.Equal(2, (await Store.EvaluationsAsync("intent", 2, Ct)).Count);
        Assert.Empty(await Store.EvaluationsAsync("other", 10, Ct));
    }

    [Fact]
    public async Task Events_PageNewestFirst_BeforeTheLastId()
    {
        string[] kinds = ["start", "advance", "advance", "rollback", "start"];
        for (var i = 0; i < kinds.Length; i++)
        {
            await Store.AppendEventAsync(new MigrationEvent { Route = "intent", Time = Noon.AddMinutes(i), Kind = kinds[i], To = "step" + i }, Ct);
        }

        await Store.AppendEventAsync(new MigrationEvent { Route = "other", Time = Noon, Kind = "start" }, Ct);

        var first = await Store.EventsAsync("intent", 2, cancellationToken: Ct);
        Assert.Equal([("start", "step4"), ("rollback", "step3")], first.Select(e => (e.Kind, e.To)));
        var second = await Store.EventsAsync("intent", 2, first[^1].Id, Ct);
        Assert.Equal([("advance", "step2"), ("advance", "step1")], second.Select(e => (e.Kind, e.To)));
        var third = await Store.EventsAsync("intent", 2, second[^1].Id, Ct);
        Assert.Equal([("start", "step0")], third.Select(e => (e.Kind, e.To)));
        Assert.Empty(await Store.EventsAsync("intent", 2, third[^1].Id, Ct));
        Assert.Equal(Noon.AddMinutes(4), first[0].Time);
    }

    [Fact]
    public async Task Maintain_DeletesSamplesAndEvaluationsPastTheRecordsRetention_KeepsStateAndStageChanges()
    {
        // Retention 90 days counts whole days back from today's midnight (as for records): 91 days ago goes, 89 stays.
        await Store.AddSamplesAsync([Sample("old", Noon.AddDays(-91)), Sample("recent", Noon.AddDays(-89))], Ct);
        await Store.RecordEvaluationAsync(Evaluation(Noon.AddDays(-91), "shadow", "fail: samples"), Ct);
        await Store.RecordEvaluationAsync(Evaluation(Noon.AddDays(-89), "shadow", "pass"), Ct);
        await Store.AppendEventAsync(new MigrationEvent { Route = "intent", Time = Noon.AddDays(-200), Kind = "start" }, Ct);
        await Store.CreateIfAbsentAsync(new MigrationState { Route = "intent", Incumbent = "a", Candidate = "b", StartedAt = Noon.AddDays(-200), StageEnteredAt = Noon.AddDays(-200), Version = 1 }, Ct);

        var result = await Database.Records.MaintainAsync(Noon, Ct);

        Assert.Equal((1L, 1L), (result.SamplesDeleted, result.EvaluationsDeleted));
        Assert.Equal(["recent"], (await Store.SamplesAsync("intent", DateTimeOffset.UnixEpoch, Ct)).Select(s => s.RequestId));
        Assert.Equal(["pass"], (await Store.EvaluationsAsync("intent", 10, Ct)).Select(e => e.Outcome));
        Assert.Single(await Store.EventsAsync("intent", 10, cancellationToken: Ct));
        Assert.Single(await Store.ListAsync(Ct));
    }

    [Fact]
    public async Task TryUpdate_StaleVersion_Refused()
    {
        var state = new MigrationState { Route = "intent", Incumbent = "a", Candidate = "b", StartedAt = Noon, StageEnteredAt = Noon, Version = 1 };
        Assert.True((await Store.CreateIfAbsentAsync(state, Ct)).Created);
        Assert.False((await Store.CreateIfAbsentAsync(state with { Candidate = "c" }, Ct)).Created);
        Assert.True(await Store.TryUpdateAsync(state with { Stage = MigrationStage.Canary, Version = 2 }, 1, Ct));
        Assert.False(await Store.TryUpdateAsync(state with { Stage = MigrationStage.Full, Version = 2 }, 1, Ct));
        Assert.Equal(state with { Stage = MigrationStage.Canary, Version = 2 }, Assert.Single(await Store.ListAsync(Ct)));
    }
}

public sealed class SqliteMigrationStoreTests : MigrationStoreTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.SqliteAsync(options);
}

public sealed class PostgresMigrationStoreTests : MigrationStoreTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.PostgresAsync(options);
}
