using Tandem.Adapters;
using Tandem.Configuration;
using Tandem.Feedback;
using Xunit;

namespace Tandem.Storage.Tests;

/// <summary>Feedback and adapter registrations, run unchanged against SQLite and PostgreSQL through the two subclasses below.</summary>
public abstract class FeedbackStoreTests : IAsyncLifetime
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
    public async Task AddAsync_SeveralOnOneRequest_KeptInOrderWithEveryField()
    {
        var first = new FeedbackEntry
        {
            RequestId = "req-1", Time = Noon.AddTicks(17), Author = "app", Route = "intent", Deployment = "llama-8b",
            Scale = RatingScale.Thumbs, Rating = 0, Correction = "card_lost", Comment = "wrong intent \u00e9", EndUser = "u-42",
            Tags = new Dictionary<string, string> { ["team"] = "cards" }, Messages = "[{\"role\":\"user\",\"content\":\"I lost my card\"}]", Answer = "balance",
        };
        var second = new FeedbackEntry { RequestId = "req-1", Time = Noon.AddMinutes(1), Author = "app", Route = "intent", Scale = RatingScale.Stars, Rating = 4 };
        var other = new FeedbackEntry { RequestId = "req-2", Time = Noon, Author = "app", Route = "support", Scale = RatingScale.Stars, Rating = 2 };

        var a = await Database.Feedback.AddAsync(first, Ct);
        var b = await Database.Feedback.AddAsync(second, Ct);
        await Database.Feedback.AddAsync(other, Ct);

        Assert.True(b.Id > a.Id);
        var stored = await Database.Feedback.ForRequestAsync("req-1", Ct);
        Assert.Equal(2, stored.Count);
        // Microsecond times, as the migration tables keep them: 17 ticks (1.7 µs) reads back as 1 µs.
        Assert.Equal(Noon.AddTicks(10), stored[0].Time);
        Assert.Equal(("card_lost", "wrong intent \u00e9", "u-42", "cards", "balance", 1), (stored[0].Correction, stored[0].Comment, stored[0].EndUser, stored[0].Tags!["team"], stored[0].Answer, stored[0].Score));
        Assert.Equal("[{\"role\":\"user\",\"content\":\"I lost my card\"}]", stored[0].Messages);
        Assert.Equal((RatingScale.Stars, 4, 4, (string?)null), (stored[1].Scale, stored[1].Rating, stored[1].Score, stored[1].Deployment));
        Assert.Equal(3L, await Database.CountRowsAsync("tandem_feedback", Ct));
    }

    [Fact]
    public async Task ForRouteAsync_OnlyThatRouteSinceTheTime()
    {
        await Database.Feedback.AddAsync(new FeedbackEntry { RequestId = "old", Time = Noon.AddDays(-2), Author = "k", Route = "intent", Comment = "old" }, Ct);
        await Database.Feedback.AddAsync(new FeedbackEntry { RequestId = "new", Time = Noon, Author = "k", Route = "intent", Comment = "new" }, Ct);
        await Database.Feedback.AddAsync(new FeedbackEntry { RequestId = "elsewhere", Time = Noon, Author = "k", Route = "support", Comment = "x" }, Ct);

        var found = await Database.Feedback.ForRouteAsync("intent", Noon.AddDays(-1), Ct);

        Assert.Equal(["new"], found.Select(f => f.RequestId));
    }

    [Fact]
    public async Task MaintainAsync_DeletesFeedbackPastTheRecordsRetention()
    {
        // Retention 90 days (the default): maintenance at noon on 20 November keeps whole days from 22 August on.
        await Database.Feedback.AddAsync(new FeedbackEntry { RequestId = "old", Time = new DateTimeOffset(2026, 8, 21, 23, 0, 0, TimeSpan.Zero), Author = "k", Route = "intent", Comment = "old" }, Ct);
        await Database.Feedback.AddAsync(new FeedbackEntry { RequestId = "kept", Time = new DateTimeOffset(2026, 8, 22, 0, 0, 0, TimeSpan.Zero), Author = "k", Route = "intent", Comment = "kept" }, Ct);

        var result = await Database.Records.MaintainAsync(Noon, Ct);

        Assert.Equal(1, result.FeedbackDeleted);
        Assert.Equal(["kept"], (await Database.Feedback.ForRouteAsync("intent", DateTimeOffset.MinValue.AddYears(1), Ct)).Select(f => f.RequestId));
    }

    [Fact]
    public async Task Adapters_SaveListReplaceRemove()
    {
        var v1 = new AdapterRegistration { Name = "intent-v1", Base = "llama-8b", Path = "/adapters/intent-v1", Dataset = "ds-1", RegisteredAt = Noon };
        await Database.Adapters.SaveAsync(v1, Ct);
        await Database.Adapters.SaveAsync(v1 with { Path = "/adapters/intent-v1b", Eval = "accuracy 0.95" }, Ct);
        await Database.Adapters.SaveAsync(new AdapterRegistration { Name = "a-first", Base = "llama-8b", Path = "/p", RegisteredAt = Noon }, Ct);

        var listed = await Database.Adapters.ListAsync(Ct);

        Assert.Equal(["a-first", "intent-v1"], listed.Select(a => a.Name));
        Assert.Equal(v1 with { Path = "/adapters/intent-v1b", Eval = "accuracy 0.95" }, listed[1]);
        Assert.Equal("llama-8b+intent-v1", listed[1].Deployment);
        Assert.True(await Database.Adapters.RemoveAsync("intent-v1", Ct));
        Assert.False(await Database.Adapters.RemoveAsync("intent-v1", Ct));
        Assert.Equal(["a-first"], (await Database.Adapters.ListAsync(Ct)).Select(a => a.Name));
    }
}

public sealed class SqliteFeedbackStoreTests : FeedbackStoreTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.SqliteAsync(options);
}

public sealed class PostgresFeedbackStoreTests : FeedbackStoreTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.PostgresAsync(options);
}
