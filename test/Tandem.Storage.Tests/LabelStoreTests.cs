using Tandem.Classification;
using Tandem.Configuration;
using Xunit;

namespace Tandem.Storage.Tests;

/// <summary>Versioned label sets and a route's captured requests, run unchanged against SQLite and PostgreSQL.</summary>
public abstract class LabelStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
    private Func<Task>? _cleanup;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private StorageDatabase Database { get; set; } = null!;

    protected abstract Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options);

    public async ValueTask InitializeAsync()
    {
        (Database, _cleanup) = await CreateAsync(new StorageConfig());
    }

    public async ValueTask DisposeAsync()
    {
        if (_cleanup is not null)
        {
            await _cleanup();
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task AddSetAsync_TwoImports_VersionsInOrderWithEveryLabel()
    {
        var first = await Database.Labels.AddSetAsync(
            new LabelSet { Route = "intents", Created = Noon, Raters = 2, Items = 1, Kappa = 0.4, KappaKind = "cohen", Source = "ann.csv, bob.csv" },
            [new RaterLabel("r1", "ann", "card_lost"), new RaterLabel("r1", "bob", "card_lost"), new RaterLabel("r2", "ann", "balance")],
            [new AgreedLabel("r1", "I lost my card \u00e9", "card_lost")], Ct);
        var second = await Database.Labels.AddSetAsync(
            new LabelSet { Route = "intents", Created = Noon.AddDays(1), Raters = 3, Items = 0, Kappa = null, KappaKind = "fleiss", Source = "a.csv, b.csv, c.csv" },
            [], [], Ct);
        await Database.Labels.AddSetAsync(new LabelSet { Route = "other", Created = Noon, KappaKind = "cohen", Source = "x" }, [], [], Ct);

        Assert.True(second.Version > first.Version);
        var sets = await Database.Labels.SetsAsync("intents", Ct);
        Assert.Equal([first.Version, second.Version], sets.Select(s => s.Version));
        Assert.Equal(first, sets[0]);
        Assert.Null(sets[1].Kappa);
        Assert.Equal(3, (await Database.Labels.SetsAsync(null, Ct)).Count);
        Assert.Equal([new AgreedLabel("r1", "I lost my card \u00e9", "card_lost")], await Database.Labels.AgreedAsync(first.Version, Ct));
        Assert.Equal(["r1 ann card_lost", "r1 bob card_lost", "r2 ann balance"], (await Database.Labels.LabelsAsync(first.Version, Ct)).Select(l => $"{l.Item} {l.Rater} {l.Label}"));
    }

    [Fact]
    public async Task ExchangesAsync_RouteRequestsWithContent_NewestFirst_OnlySuccessfulInTheWindow()
    {
        var answered = RecordStoreTests.Sample("a", Noon, deployment: "gpt", route: "intents");
        answered.PromptContent = "[{\"role\":\"user\",\"content\":\"I lost my card\"}]";
        answered.ResponseContent = "card_lost";
        var local = RecordStoreTests.Sample("b", Noon.AddMinutes(1), deployment: "local:intents", route: "intents");
        local.PromptContent = "[{\"role\":\"user\",\"content\":\"my balance\"}]";
        local.ResponseContent = "balance";
        var failed = RecordStoreTests.Sample("c", Noon.AddMinutes(2), route: "intents");
        failed.Status = 502;
        failed.PromptContent = "[]";
        var uncaptured = RecordStoreTests.Sample("d", Noon.AddMinutes(3), route: "intents");
        var otherRoute = RecordStoreTests.Sample("e", Noon.AddMinutes(4), route: "chat");
        otherRoute.PromptContent = "[]";
        var old = RecordStoreTests.Sample("f", Noon.AddDays(-2), route: "intents");
        old.PromptContent = "[]";
        await Database.Records.WriteAsync([answered, local, failed, uncaptured, otherRoute, old], Guid.NewGuid(), Ct);

        var exchanges = await Database.Labels.ExchangesAsync("intents", Noon.AddDays(-1), 10, Ct);

        Assert.Equal(["b", "a"], exchanges.Select(e => e.RequestId));
        Assert.Equal(new RouteExchange("a", Noon, "gpt", answered.Decision, answered.PromptContent, "card_lost"), exchanges[1]);
        Assert.Equal("local:intents", exchanges[0].Deployment);
        Assert.Single(await Database.Labels.ExchangesAsync("intents", Noon.AddDays(-1), 1, Ct));
    }
}

public sealed class SqliteLabelStoreTests : LabelStoreTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.SqliteAsync(options);
}

public sealed class PostgresLabelStoreTests : LabelStoreTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.PostgresAsync(options);
}
