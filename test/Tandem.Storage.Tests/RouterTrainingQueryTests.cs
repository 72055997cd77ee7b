using Tandem.Configuration;
using Tandem.Migration;
using Xunit;

namespace Tandem.Storage.Tests;

/// <summary>The router-training read (shadow pairs joined with captured prompts), against SQLite and PostgreSQL.</summary>
public abstract class RouterTrainingQueryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
    private Func<Task>? _cleanup;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private StorageDatabase Database { get; set; } = null!;

    protected abstract Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options);

    public async ValueTask InitializeAsync() => (Database, _cleanup) = await CreateAsync(new StorageConfig());

    public async ValueTask DisposeAsync()
    {
        if (_cleanup is not null)
        {
            await _cleanup();
        }

        GC.SuppressFinalize(this);
    }

    private static ShadowSample Sample(string id, DateTimeOffset time, string route = "quiz") => new()
    {
        Route = route, RequestId = id, Time = time, Stage = "shadow", ServedBy = "incumbent", IncumbentAnswer = "A", CandidateAnswer = "A", Agree = true,
    };

    [Fact]
    public async Task Read_JoinsEachPairWithItsCapturedPrompt_KeepsVerdictsAndFailures_FiltersRouteAndTime()
    {
        var captured = RecordStoreTests.Sample("req_1", Noon, route: "quiz");
        captured.PromptContent = "[{\"role\":\"user\",\"content\":\"Question 1\"}]";
        var judged = RecordStoreTests.Sample("req_2", Noon, route: "quiz");
        judged.PromptContent = "[{\"role\":\"user\",\"content\":\"Question 2\"}]";
        var dark = RecordStoreTests.Sample("req_3", Noon, route: "quiz");
        await Database.Records.WriteAsync([captured, judged, dark], Guid.NewGuid(), Ct);
        await Database.Migrations.AddSamplesAsync(
        [
            Sample("req_1", Noon.AddSeconds(1)),
            Sample("req_2", Noon.AddSeconds(2)) with { Agree = null, JudgeScore = 3.5 },
            Sample("req_3", Noon.AddSeconds(3)) with { Agree = false },
            Sample("req_4", Noon.AddSeconds(4)) with { Agree = null, CandidateError = "http_503", CandidateAnswer = null },
            Sample("req_5", Noon.AddSeconds(5), route: "other"),
            Sample("req_0", Noon.AddSeconds(-10)),
        ], Ct);

        var rows = await RouterTrainingQuery.ReadAsync(Database, "quiz", Noon, Ct);

        Assert.Equal(
        [
            new ShadowOutcome("req_1", Noon.AddSeconds(1), "[{\"role\":\"user\",\"content\":\"Question 1\"}]", true, null, false),
            new ShadowOutcome("req_2", Noon.AddSeconds(2), "[{\"role\":\"user\",\"content\":\"Question 2\"}]", null, 3.5, false),
            new ShadowOutcome("req_3", Noon.AddSeconds(3), null, false, null, false),
            new ShadowOutcome("req_4", Noon.AddSeconds(4), null, null, null, true),
        ], rows);
    }
}

public sealed class SqliteRouterTrainingQueryTests : RouterTrainingQueryTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.SqliteAsync(options);
}

public sealed class PostgresRouterTrainingQueryTests : RouterTrainingQueryTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.PostgresAsync(options);
}
