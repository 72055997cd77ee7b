using Tandem.Privacy;
using Xunit;

namespace Tandem.Storage.Tests.Privacy;

/// <summary>Captured content encrypted at rest: nothing readable on disk, clear errors for a missing or wrong key, rotation (SQLite and PostgreSQL).</summary>
public abstract class ContentEncryptionTests : PrivacyFixture
{
    private protected ContentEncryptionTests(IPrivacyBackend backend)
        : base(backend)
    {
    }

    [Fact]
    public async Task Write_WithKey_NoPlaintextOnDiskAndEveryFieldReadsBack()
    {
        var db = await OpenAsync(Keys("k1", "k1"));
        await db.Records.WriteAsync([Record("r1", "u1", 1, "PROMPT-SECRET same", "ANSWER-SECRET"), Record("r2", "u1", 1, "PROMPT-SECRET same", null, minute: 1)], Guid.NewGuid(), Ct);
        await db.Feedback.AddAsync(Feedback("r1", "u1", "COMMENT-SECRET"), Ct);
        await db.Migrations.AddSamplesAsync([Sample("r1", "INCUMBENT-SECRET", "CANDIDATE-SECRET")], Ct);

        Assert.DoesNotContain(await EveryValueAsync(db), v => v.Value.Contains("SECRET", StringComparison.Ordinal));
        Assert.Equal(["k1", "k1"], await RawAsync(db, "SELECT key_id FROM contents ORDER BY time_ms"));
        Assert.Equal(["k1"], await RawAsync(db, "SELECT key_id FROM tandem_feedback"));
        Assert.Equal(["k1"], await RawAsync(db, "SELECT key_id FROM tandem_shadow_sample"));
        // A nonce per row: the same prompt twice is stored as two different values.
        var prompts = await RawAsync(db, "SELECT prompt FROM contents ORDER BY time_ms");
        Assert.NotEqual(prompts[0], prompts[1]);

        var r1 = await db.Records.GetAsync("r1", Ct);
        Assert.Equal(("PROMPT-SECRET same", "ANSWER-SECRET"), (r1!.PromptContent, r1.ResponseContent));
        Assert.Equal(("PROMPT-SECRET same", (string?)null), ((await db.Records.GetAsync("r2", Ct))!.PromptContent, (await db.Records.GetAsync("r2", Ct))!.ResponseContent));
        var feedback = Assert.Single(await db.Feedback.ForRequestAsync("r1", Ct));
        Assert.Equal(("COMMENT-SECRET", "corrected COMMENT-SECRET", "[{\"role\":\"user\",\"content\":\"COMMENT-SECRET\"}]", "answer COMMENT-SECRET", "u1"),
            (feedback.Comment, feedback.Correction, feedback.Messages, feedback.Answer, feedback.EndUser));
        var sample = Assert.Single(await db.Migrations.SamplesAsync("support", Noon.AddDays(-1), Ct));
        Assert.Equal(("INCUMBENT-SECRET", "CANDIDATE-SECRET", "a"), (sample.IncumbentAnswer, sample.CandidateAnswer, sample.CandidateLabel));
    }

    [Fact]
    public async Task Read_KeyMissingOrWrong_ClearError()
    {
        var writer = await OpenAsync(Keys("k1", "k1"));
        await writer.Records.WriteAsync([Record("r1", "u1", 1, "secret prompt", "secret answer")], Guid.NewGuid(), Ct);
        await writer.Feedback.AddAsync(Feedback("r1", "u1", "secret comment"), Ct);
        await writer.Migrations.AddSamplesAsync([Sample("r1", "secret a", "secret b")], Ct);

        var otherKey = await OpenAsync(Keys("k2", "k2"));
        var e = await Assert.ThrowsAsync<ContentKeyException>(() => otherKey.Records.GetAsync("r1", Ct));
        Assert.Equal("stored content is encrypted with key 'k1', which is not listed in privacy.encryption.keys (listed: k2)", e.Message);
        await Assert.ThrowsAsync<ContentKeyException>(() => otherKey.Feedback.ForRequestAsync("r1", Ct));
        await Assert.ThrowsAsync<ContentKeyException>(() => otherKey.Migrations.SamplesAsync("support", Noon.AddDays(-1), Ct));

        var noKeys = await OpenAsync();
        e = await Assert.ThrowsAsync<ContentKeyException>(() => noKeys.Records.GetAsync("r1", Ct));
        Assert.Equal("stored content is encrypted with key 'k1', but privacy.encryption is not configured", e.Message);

        var wrongBytes = await OpenAsync(ContentCipher.Create(new Dictionary<string, byte[]> { ["k1"] = KeyBytes("not-k1") }, "k1"));
        e = await Assert.ThrowsAsync<ContentKeyException>(() => wrongBytes.Records.GetAsync("r1", Ct));
        Assert.Equal("stored prompt does not decrypt with key 'k1': the configured key is not the one it was written with, or the row was altered", e.Message);
    }

    [Fact]
    public async Task Rotation_OldRowsReadableThenReencryptMovesThemToTheActiveKey()
    {
        var clear = await OpenAsync();
        await clear.Records.WriteAsync([Record("r0", "u1", 1, "written in clear", "clear answer")], Guid.NewGuid(), Ct);
        await clear.Feedback.AddAsync(Feedback("r0", "u1", "clear comment"), Ct);
        await clear.Migrations.AddSamplesAsync([Sample("r0", "clear a", "clear b")], Ct);
        var first = await OpenAsync(Keys("k1", "k1"));
        await first.Records.WriteAsync([Record("r1", "u1", 1, "under k1", "k1 answer", minute: 1)], Guid.NewGuid(), Ct);
        var rotated = await OpenAsync(Keys("k2", "k1", "k2"));
        await rotated.Records.WriteAsync([Record("r2", "u1", 1, "under k2", "k2 answer", minute: 2)], Guid.NewGuid(), Ct);

        Assert.Equal(new List<string?> { null, "k1", "k2" }, await RawAsync(rotated, "SELECT key_id FROM contents ORDER BY time_ms"));
        Assert.Equal(["written in clear", "under k1", "under k2"], [(await rotated.Records.GetAsync("r0", Ct))!.PromptContent!, (await rotated.Records.GetAsync("r1", Ct))!.PromptContent!, (await rotated.Records.GetAsync("r2", Ct))!.PromptContent!]);

        var moved = await rotated.ReencryptAsync(Ct);

        Assert.Equal(new ReencryptResult(2, 1, 1), moved);
        Assert.Equal(["k2", "k2", "k2"], await RawAsync(rotated, "SELECT key_id FROM contents ORDER BY time_ms"));
        Assert.Equal(["k2"], await RawAsync(rotated, "SELECT key_id FROM tandem_feedback"));
        Assert.Equal(["k2"], await RawAsync(rotated, "SELECT key_id FROM tandem_shadow_sample"));
        Assert.DoesNotContain(await EveryValueAsync(rotated), v => v.Value.Contains("clear", StringComparison.Ordinal) || v.Value.Contains("under", StringComparison.Ordinal));
        var k2Only = await OpenAsync(Keys("k2", "k2"));
        Assert.Equal(("written in clear", "clear answer"), ((await k2Only.Records.GetAsync("r0", Ct))!.PromptContent, (await k2Only.Records.GetAsync("r0", Ct))!.ResponseContent));
        Assert.Equal("under k1", (await k2Only.Records.GetAsync("r1", Ct))!.PromptContent);
        Assert.Equal("clear comment", Assert.Single(await k2Only.Feedback.ForRequestAsync("r0", Ct)).Comment);
        Assert.Equal("clear b", Assert.Single(await k2Only.Migrations.SamplesAsync("support", Noon.AddDays(-1), Ct)).CandidateAnswer);
        Assert.Equal(new ReencryptResult(0, 0, 0), await k2Only.ReencryptAsync(Ct));
    }
}

public sealed class SqliteContentEncryptionTests() : ContentEncryptionTests(new SqliteBackend());

public sealed class PostgresContentEncryptionTests() : ContentEncryptionTests(new PostgresBackend());
