using System.Data.Common;
using System.Globalization;
using System.Text;
using Tandem.Costs;

namespace Tandem.Storage;

/// <summary>Rows that refer to one end user, per table.</summary>
/// <param name="Records">Request records carrying the user's id.</param>
/// <param name="Attempts">Tries of those requests.</param>
/// <param name="Contents">Captured prompts and answers of those requests.</param>
/// <param name="Feedback">Feedback on those requests, or sent with the user's id.</param>
/// <param name="ShadowSamples">Shadow comparisons of those requests.</param>
/// <param name="DictionaryEntries">The user's id in the dictionary of repeated strings (as sent, or hashed).</param>
public sealed record EndUserRows(long Records, long Attempts, long Contents, long Feedback, long ShadowSamples, long DictionaryEntries)
{
    /// <summary>Every row counted.</summary>
    public long Total => Records + Attempts + Contents + Feedback + ShadowSamples + DictionaryEntries;
}

/// <summary>What erasing one end user did: the rows that referred to them before, and after (all zero when it worked).</summary>
/// <param name="Before">Rows before the erasure.</param>
/// <param name="After">Rows after it, counted in the same transaction by the same request ids.</param>
public sealed record EraseResult(EndUserRows Before, EndUserRows After);

/// <summary>Erasure of one end user's rows from every table (<c>tandem records erase --user ID</c>, <c>POST /admin/records/erase</c>).</summary>
public abstract partial class StorageDatabase
{
    private const int IdsPerStatement = 500;

    /// <summary>
    /// Deletes every record, try, captured content, feedback entry and shadow sample of <paramref name="user"/> (the
    /// <c>user</c> field a client sent), in one transaction, and replaces the user's dictionary entry with a
    /// tombstone (<c>erased:ID</c>) so that its number is never given to another string. The user is looked up both
    /// as sent and as its keyed hash (<c>storage.hash_end_users</c>), so rows written under either setting go.
    /// Daily roll-ups carry no end-user id (they are per day, route, deployment and key) and are left as they are.
    /// Records of the user still queued in memory when this runs are written afterwards: run it again, or stop the
    /// gateway first, for a guarantee.
    /// </summary>
    /// <returns>The rows before and after, counted by the same request ids.</returns>
    public async Task<EraseResult> EraseEndUserAsync(string user, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        var salt = Options.EndUserSaltEnv is null ? null : Environment.GetEnvironmentVariable(Options.EndUserSaltEnv);
        string[] forms = [user, RecordFinisher.HashEndUser(Encoding.UTF8.GetBytes(salt ?? "tandem-end-user"), user)];

        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                var userIds = await Sql.QueryAsync(connection, tx, "SELECT id FROM dictionary WHERE kind = @k AND value IN (@u0, @u1)", cancellationToken,
                    r => Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture), ("@k", (short)DictionaryKind.EndUser), ("@u0", forms[0]), ("@u1", forms[1])).ConfigureAwait(false);
                var idList = userIds.Count == 0 ? "0" : string.Join(", ", userIds.Select(i => i.ToString(CultureInfo.InvariantCulture)));
                // Id 0 is "no user": never a match, since userIds come from the dictionary.
                var requests = userIds.Count == 0 ? [] : await Sql.QueryAsync(connection, tx,
                    "SELECT DISTINCT request_id FROM records WHERE end_user_id IN (" + idList + ")", cancellationToken, r => r.GetString(0)).ConfigureAwait(false);

                var before = await CountEndUserRowsAsync(connection, tx, idList, requests, forms, cancellationToken).ConfigureAwait(false);
                foreach (var table in (string[])["attempts", "contents", "tandem_shadow_sample", "tandem_feedback"])
                {
                    await ForEachChunkAsync(requests, (list, parameters) =>
                        Sql.ExecuteAsync(connection, tx, "DELETE FROM " + table + " WHERE request_id IN (" + list + ")", cancellationToken, parameters), cancellationToken).ConfigureAwait(false);
                }

                await Sql.ExecuteAsync(connection, tx, "DELETE FROM tandem_feedback WHERE end_user IN (@u0, @u1)", cancellationToken, ("@u0", forms[0]), ("@u1", forms[1])).ConfigureAwait(false);
                await Sql.ExecuteAsync(connection, tx, "DELETE FROM records WHERE end_user_id IN (" + idList + ")", cancellationToken).ConfigureAwait(false);
                foreach (var id in userIds)
                {
                    await Sql.ExecuteAsync(connection, tx, "UPDATE dictionary SET value = @v WHERE id = @id", cancellationToken,
                        ("@v", "erased:" + id.ToString(CultureInfo.InvariantCulture)), ("@id", id)).ConfigureAwait(false);
                }

                var after = await CountEndUserRowsAsync(connection, tx, idList, requests, forms, cancellationToken).ConfigureAwait(false);
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                ((SqlRecordStore)Records).Forget(DictionaryKind.EndUser, forms);
                return new EraseResult(before, after);
            }
        }
    }

    private static async Task<EndUserRows> CountEndUserRowsAsync(DbConnection connection, DbTransaction tx, string idList, List<string> requests, string[] forms, CancellationToken cancellationToken)
    {
        async Task<long> Scalar(string sql, params (string, object?)[] parameters) =>
            Convert.ToInt64(await Sql.ScalarAsync(connection, tx, sql, cancellationToken, parameters).ConfigureAwait(false), CultureInfo.InvariantCulture);

        async Task<long> ByRequest(string table, string extra = "")
        {
            long total = 0;
            await ForEachChunkAsync(requests, async (list, parameters) =>
                total += await Scalar("SELECT COUNT(*) FROM " + table + " WHERE request_id IN (" + list + ")" + extra, extra.Length == 0 ? parameters : [.. parameters, ("@u0", forms[0]), ("@u1", forms[1])]).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            return total;
        }

        var records = await Scalar("SELECT COUNT(*) FROM records WHERE end_user_id IN (" + idList + ")").ConfigureAwait(false);
        // Feedback matches by request or by the id sent with it; counted once either way.
        var feedback = await Scalar("SELECT COUNT(*) FROM tandem_feedback WHERE end_user IN (@u0, @u1)", ("@u0", forms[0]), ("@u1", forms[1])).ConfigureAwait(false)
            + await ByRequest("tandem_feedback", " AND (end_user IS NULL OR end_user NOT IN (@u0, @u1))").ConfigureAwait(false);
        return new EndUserRows(
            records,
            await ByRequest("attempts").ConfigureAwait(false),
            await ByRequest("contents").ConfigureAwait(false),
            feedback,
            await ByRequest("tandem_shadow_sample").ConfigureAwait(false),
            await Scalar("SELECT COUNT(*) FROM dictionary WHERE kind = @k AND value IN (@u0, @u1)", ("@k", (short)DictionaryKind.EndUser), ("@u0", forms[0]), ("@u1", forms[1])).ConfigureAwait(false));
    }

    private static async Task ForEachChunkAsync(List<string> values, Func<string, (string, object?)[], Task> action, CancellationToken cancellationToken)
    {
        foreach (var chunk in values.Chunk(IdsPerStatement))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var names = chunk.Select((_, i) => "@r" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            await action(string.Join(", ", names), [.. names.Zip(chunk, (n, v) => (n, (object?)v))]).ConfigureAwait(false);
        }
    }
}
