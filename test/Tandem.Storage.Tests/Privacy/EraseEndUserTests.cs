using System.Security.Cryptography;
using System.Text;
using Tandem.Configuration;
using Xunit;

namespace Tandem.Storage.Tests.Privacy;

/// <summary>Erasing one end user leaves no row of theirs in any table, and nobody else's row goes (SQLite and PostgreSQL).</summary>
public abstract class EraseEndUserTests : PrivacyFixture
{
    private protected EraseEndUserTests(IPrivacyBackend backend)
        : base(backend)
    {
    }

    [Fact]
    public async Task EraseEndUserAsync_RecordsFeedbackAndSamples_NoRowOfTheUserRemainsInAnyTable()
    {
        var db = await OpenAsync();
        await db.Records.WriteAsync(
        [
            Record("r-a1", "alice", attempts: 2, "alice asks about card 4111", "answer for alice"),
            Record("r-a2", "alice", attempts: 1, "alice again", "second answer for alice", minute: 1),
            Record("r-b1", "bob", attempts: 2, "bob asks", "answer for bob", minute: 2),
        ], Guid.NewGuid(), Ct);
        await db.Feedback.AddAsync(Feedback("r-a1", "alice", "alice liked it"), Ct);
        await db.Feedback.AddAsync(Feedback("r-a2", null, "sent without a user"), Ct);
        await db.Feedback.AddAsync(Feedback("r-x", "alice", "alice on a request never recorded"), Ct);
        await db.Feedback.AddAsync(Feedback("r-b1", "bob", "bob liked it"), Ct);
        await db.Migrations.AddSamplesAsync([Sample("r-a1", "incumbent for alice", "candidate for alice"), Sample("r-b1", "incumbent for bob", "candidate for bob")], Ct);

        var result = await db.EraseEndUserAsync("alice", Ct);

        // Two records; r-a1's two tries (r-a2's single try is inline in its record); two contents; feedback on r-a1,
        // on r-a2 (by request) and on r-x (by user); r-a1's sample; the dictionary entry.
        Assert.Equal(new EndUserRows(2, 2, 2, 3, 1, 1), result.Before);
        Assert.Equal(new EndUserRows(0, 0, 0, 0, 0, 0), result.After);
        var leftovers = (await EveryValueAsync(db)).Where(v => v.Value.Contains("alice", StringComparison.Ordinal) || v.Value.Contains("r-a", StringComparison.Ordinal) || v.Value.Contains("r-x", StringComparison.Ordinal)).ToList();
        Assert.Empty(leftovers);

        // Bob's rows are all there.
        Assert.Equal((1L, 2L, 1L, 1L, 1L), (await db.CountRowsAsync("records", Ct), await db.CountRowsAsync("attempts", Ct), await db.CountRowsAsync("contents", Ct),
            await db.CountRowsAsync("tandem_feedback", Ct), await db.CountRowsAsync("tandem_shadow_sample", Ct)));
        var bob = await db.Records.GetAsync("r-b1", Ct);
        Assert.Equal(("bob", "bob asks", 2), (bob!.EndUser, bob.PromptContent, bob.Attempts.Count));

        // The user comes back after the erasure: a new dictionary entry, not the erased one's number.
        await db.Records.WriteAsync([Record("r-a3", "alice", 1, null, null, minute: 3)], Guid.NewGuid(), Ct);
        Assert.Equal("alice", (await db.Records.GetAsync("r-a3", Ct))!.EndUser);
        Assert.Equal("bob", (await db.Records.GetAsync("r-b1", Ct))!.EndUser);
    }

    [Fact]
    public async Task EraseEndUserAsync_HashedIds_ErasesTheHashedForm()
    {
        var db = await OpenAsync(options: new StorageConfig { HashEndUsers = true });
        // The stored form under hash_end_users without a salt: the first 16 bytes of HMAC-SHA256 keyed with
        // "tandem-end-user", as lower-case hex (RecordFinisher's documented format), computed here on its own.
        var hashed = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("tandem-end-user"), Encoding.UTF8.GetBytes("carol"))[..16]);
        await db.Records.WriteAsync([Record("r-c1", hashed, 2, "carol's prompt", "carol's answer"), Record("r-d1", "dave", 1, null, null)], Guid.NewGuid(), Ct);

        var result = await db.EraseEndUserAsync("carol", Ct);

        Assert.Equal(new EndUserRows(1, 2, 1, 0, 0, 1), result.Before);
        Assert.Equal(0, result.After.Total);
        Assert.DoesNotContain(await EveryValueAsync(db), v => v.Value.Contains(hashed, StringComparison.Ordinal) || v.Value.Contains("carol", StringComparison.Ordinal));
        Assert.Equal(1L, await db.CountRowsAsync("records", Ct));
    }

    [Fact]
    public async Task EraseEndUserAsync_UnknownUser_CountsZeroAndRemovesNothing()
    {
        var db = await OpenAsync();
        await db.Records.WriteAsync([Record("r-b1", "bob", 2, "bob asks", "answer")], Guid.NewGuid(), Ct);

        var result = await db.EraseEndUserAsync("nobody", Ct);

        Assert.Equal((0L, 0L), (result.Before.Total, result.After.Total));
        Assert.Equal((1L, 2L, 1L), (await db.CountRowsAsync("records", Ct), await db.CountRowsAsync("attempts", Ct), await db.CountRowsAsync("contents", Ct)));
    }
}

public sealed class SqliteEraseEndUserTests() : EraseEndUserTests(new SqliteBackend());

public sealed class PostgresEraseEndUserTests() : EraseEndUserTests(new PostgresBackend());
