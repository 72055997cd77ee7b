using System.Data.Common;
using Tandem.Access;
using Tandem.Configuration;
using Xunit;

namespace Tandem.Storage.Tests;

/// <summary>Virtual keys, change counters and the audit log, run unchanged against SQLite and PostgreSQL through the two subclasses below.</summary>
public abstract class AccessStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
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

    private static VirtualKey Key(string id, string hashDigit, DateTimeOffset created) => new()
    {
        Id = id,
        Name = "app-" + id,
        Hash = new string(hashDigit[0], 64),
        Prefix = "tdm-abcd",
        CreatedAt = created,
    };

    private async Task<int> ExecuteAsync(string sql)
    {
        var connection = await Database.OpenAsync(Ct);
        await using (connection)
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            return await cmd.ExecuteNonQueryAsync(Ct);
        }
    }

    [Fact]
    public async Task CreateAsync_ThenGet_RoundTripsEveryField_AndMovesTheKeysCounter()
    {
        Assert.Equal(new Dictionary<string, long> { ["keys"] = 0, ["config"] = 0 }, await Database.Signals.ReadAsync(Ct));
        var key = Key("vk_1", "a", Noon) with
        {
            Owner = "ana@example.com",
            Team = "cards",
            Role = AdminRole.Operator,
            Routes = ["intent", "llama-8b"],
            Metadata = new Dictionary<string, string> { ["cost_center"] = "cc-7", ["app"] = "bot \u00e9" },
            ExpiresAt = Noon.AddDays(30),
        };

        await Database.Keys.CreateAsync(key, Ct);

        var stored = await Database.Keys.GetAsync("vk_1", Ct);
        Assert.NotNull(stored);
        Assert.Equal(("vk_1", "app-vk_1", new string('a', 64), "tdm-abcd", "ana@example.com", "cards", (AdminRole?)AdminRole.Operator),
            (stored!.Id, stored.Name, stored.Hash, stored.Prefix, stored.Owner, stored.Team, stored.Role));
        Assert.Equal(["intent", "llama-8b"], stored.Routes);
        Assert.Equal(new Dictionary<string, string> { ["cost_center"] = "cc-7", ["app"] = "bot \u00e9" }, stored.Metadata);
        Assert.Equal((Noon, (DateTimeOffset?)Noon.AddDays(30), (DateTimeOffset?)null, (string?)null), (stored.CreatedAt, stored.ExpiresAt, stored.RevokedAt, stored.RotatedFrom));
        Assert.Equal(1L, (await Database.Signals.ReadAsync(Ct))["keys"]);
        Assert.Null(await Database.Keys.GetAsync("vk_unknown", Ct));
    }

    [Fact]
    public async Task CreateAsync_SameHashTwice_IsRefused()
    {
        await Database.Keys.CreateAsync(Key("vk_1", "a", Noon), Ct);
        await Assert.ThrowsAnyAsync<DbException>(() => Database.Keys.CreateAsync(Key("vk_2", "a", Noon), Ct));
        Assert.Equal(1L, (await Database.Signals.ReadAsync(Ct))["keys"]);
    }

    [Fact]
    public async Task RevokeAsync_KeepsTheRow_OnlyOnce_AndListLeavesItOut()
    {
        await Database.Keys.CreateAsync(Key("vk_1", "a", Noon), Ct);
        await Database.Keys.CreateAsync(Key("vk_2", "b", Noon.AddSeconds(1)), Ct);

        var revoked = await Database.Keys.RevokeAsync("vk_1", Noon.AddHours(1), Ct);
        var again = await Database.Keys.RevokeAsync("vk_1", Noon.AddHours(2), Ct);

        Assert.Equal(Noon.AddHours(1), revoked!.RevokedAt);
        Assert.Equal(Noon.AddHours(1), again!.RevokedAt);
        Assert.Null(await Database.Keys.RevokeAsync("vk_unknown", Noon, Ct));
        Assert.Equal(["vk_2"], (await Database.Keys.ListAsync(includeRevoked: false, Ct)).Select(k => k.Id));
        Assert.Equal(["vk_1", "vk_2"], (await Database.Keys.ListAsync(includeRevoked: true, Ct)).Select(k => k.Id));
        // Two creations and one effective revocation; the second revocation changed nothing.
        Assert.Equal(3L, (await Database.Signals.ReadAsync(Ct))["keys"]);
    }

    [Fact]
    public async Task RotateAsync_NowRevokesTheOld_GraceSetsItsExpiry_AndARevokedKeyCannotBeRotated()
    {
        await Database.Keys.CreateAsync(Key("vk_1", "a", Noon), Ct);
        var now = Noon.AddHours(1);

        var ended = await Database.Keys.RotateAsync("vk_1", Key("vk_2", "b", now), now.AddMinutes(10), now, Ct);
        Assert.Equal(("vk_1", (DateTimeOffset?)now.AddMinutes(10), (DateTimeOffset?)null), (ended!.Id, ended.ExpiresAt, ended.RevokedAt));
        Assert.Equal("vk_1", (await Database.Keys.GetAsync("vk_2", Ct))!.RotatedFrom);

        var ended2 = await Database.Keys.RotateAsync("vk_2", Key("vk_3", "c", now), now, now, Ct);
        Assert.Equal(now, ended2!.RevokedAt);
        Assert.Null(await Database.Keys.RotateAsync("vk_2", Key("vk_4", "d", now), now, now, Ct));
        Assert.Null(await Database.Keys.GetAsync("vk_4", Ct));
        Assert.Equal(["vk_1", "vk_3"], (await Database.Keys.ListAsync(includeRevoked: false, Ct)).Select(k => k.Id));
    }

    [Fact]
    public async Task BumpAsync_Config_CountsUp_AndAnUnknownCounterIsRefused()
    {
        Assert.Equal(1L, await Database.Signals.BumpAsync("config", Ct));
        Assert.Equal(2L, await Database.Signals.BumpAsync("config", Ct));
        Assert.Equal(0L, (await Database.Signals.ReadAsync(Ct))["keys"]);
        await Assert.ThrowsAsync<ArgumentException>(() => Database.Signals.BumpAsync("nope", Ct));
    }

    [Fact]
    public async Task Audit_QueriesByTimeActorAndObject_NewestFirst_AndPages()
    {
        var entries = new[]
        {
            new AuditEntry { Time = Noon, Actor = "admin", Action = "key.create", Object = "key:vk_1", After = "{\"id\":\"vk_1\"}", Status = 201, RequestId = "r1" },
            new AuditEntry { Time = Noon.AddMinutes(1), Actor = "ops", ActorKeyId = "vk_9", Action = "migration.advance", Object = "route:chat", Before = "{\"stage\":\"shadow\"}", After = "{\"stage\":\"canary\"}", Status = 200 },
            new AuditEntry { Time = Noon.AddMinutes(2), Actor = "admin", Action = "key.revoke", Object = "key:vk_1", Status = 200 },
            new AuditEntry { Time = Noon.AddMinutes(3), Actor = "viewer", ActorKeyId = "vk_8", Action = "key.revoke", Object = "key:vk_1", Status = 403 },
        };
        var ids = new List<long>();
        foreach (var e in entries)
        {
            ids.Add((await Database.Audit.AppendAsync(e, Ct)).Id);
        }

        Assert.Equal(ids.Order(), ids);
        var all = await Database.Audit.QueryAsync(new AuditQuery(), Ct);
        Assert.Equal(entries.Reverse().Select((e, i) => e with { Id = ids[3 - i] }), all);
        Assert.Equal(["key.revoke", "key.create"], (await Database.Audit.QueryAsync(new AuditQuery { Actor = "admin" }, Ct)).Select(e => e.Action));
        Assert.Equal([403, 200, 201], (await Database.Audit.QueryAsync(new AuditQuery { Object = "key:vk_1" }, Ct)).Select(e => e.Status));
        Assert.Equal(["admin", "ops"], (await Database.Audit.QueryAsync(new AuditQuery { Since = Noon.AddMinutes(1), Until = Noon.AddMinutes(3) }, Ct)).Select(e => e.Actor));
        var page = await Database.Audit.QueryAsync(new AuditQuery { Limit = 2 }, Ct);
        Assert.Equal([ids[3], ids[2]], page.Select(e => e.Id));
        Assert.Equal([ids[1], ids[0]], (await Database.Audit.QueryAsync(new AuditQuery { Limit = 2, Before = page[^1].Id }, Ct)).Select(e => e.Id));
    }

    [Fact]
    public async Task Audit_UpdateAndDelete_AreRefusedByTheDatabase()
    {
        await Database.Audit.AppendAsync(new AuditEntry { Time = Noon, Actor = "admin", Action = "config.reload", Object = "config", Status = 200 }, Ct);

        var update = await Assert.ThrowsAnyAsync<DbException>(() => ExecuteAsync("UPDATE tandem_audit SET actor = 'someone-else'"));
        var delete = await Assert.ThrowsAnyAsync<DbException>(() => ExecuteAsync("DELETE FROM tandem_audit"));

        Assert.Contains("append-only", update.Message, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.Message, StringComparison.Ordinal);
        var kept = Assert.Single(await Database.Audit.QueryAsync(new AuditQuery(), Ct));
        Assert.Equal("admin", kept.Actor);
    }
}

public sealed class SqliteAccessStoreTests : AccessStoreTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.SqliteAsync(options);
}

public sealed class PostgresAccessStoreTests : AccessStoreTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.PostgresAsync(options);
}
