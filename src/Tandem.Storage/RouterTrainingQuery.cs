using System.Data.Common;
using System.Globalization;

namespace Tandem.Storage;

/// <summary>
/// One shadowed request of a route, as router training reads it: the verdict on the candidate's answer (agreement
/// with the incumbent and the judge's 1–5 score, when judged) and the request's captured prompt.
/// </summary>
/// <param name="RequestId">The request.</param>
/// <param name="Time">When the shadow pair was compared.</param>
/// <param name="PromptJson">The captured <c>messages</c> array (JSON), or null when the route's <c>capture</c> was off or the record is gone.</param>
/// <param name="Agree">Whether the candidate's answer agreed with the incumbent's (null when not compared).</param>
/// <param name="JudgeScore">The judge's score of the candidate's answer (null when not judged).</param>
/// <param name="Failed">Whether either side failed, so that there was no pair to compare.</param>
public sealed record ShadowOutcome(string RequestId, DateTimeOffset Time, string? PromptJson, bool? Agree, double? JudgeScore, bool Failed);

/// <summary>
/// Reads a route's shadow pairs joined with the prompts its records captured: the training data of
/// <c>tandem router train --from-records</c> (issue 12, 1c). One query for both dialects.
/// </summary>
public static class RouterTrainingQuery
{
    private const string Query = """
        SELECT s.request_id, s.time, s.agree, s.judge_score,
               CASE WHEN s.candidate_error IS NULL AND s.incumbent_error IS NULL THEN 0 ELSE 1 END,
               (SELECT c.prompt FROM contents c WHERE c.request_id = s.request_id ORDER BY c.time_ms DESC LIMIT 1)
        FROM tandem_shadow_sample s
        WHERE s.route = @route AND s.time >= @since
        ORDER BY s.id
        """;

    /// <summary>The shadow pairs of <paramref name="route"/> compared at or after <paramref name="since"/>, oldest first.</summary>
    public static async Task<IReadOnlyList<ShadowOutcome>> ReadAsync(StorageDatabase database, string route, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(route);
        var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // Shadow sample times are microseconds since the Unix epoch (002_migrations.sql).
            var sinceMicros = (since.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
            return await Sql.QueryAsync(connection, Query, cancellationToken, Read, ("@route", route), ("@since", sinceMicros)).ConfigureAwait(false);
        }
    }

    private static ShadowOutcome Read(DbDataReader r) => new(
        r.GetString(0),
        DateTimeOffset.UnixEpoch.AddTicks(Long(r, 1) * 10),
        r.IsDBNull(5) ? null : r.GetString(5),
        r.IsDBNull(2) ? null : Long(r, 2) != 0,
        r.IsDBNull(3) ? null : r.GetDouble(3),
        Long(r, 4) != 0);

    private static long Long(DbDataReader r, int i) => Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);
}
