using System.Globalization;

namespace Tandem.Storage;

/// <summary><see cref="IQualitySearch"/> over <c>tandem_shadow_sample</c> (on its (route, time) index).</summary>
internal sealed class SqlQualitySearch : IQualitySearch
{
    private const long DayUs = 86_400_000_000;
    private readonly StorageDatabase _db;

    public SqlQualitySearch(StorageDatabase database) => _db = database;

    public async Task<IReadOnlyList<ShadowDay>> ShadowDaysAsync(string route, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(route);
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var day = DayUs.ToString(CultureInfo.InvariantCulture);
            return await Sql.QueryAsync(connection,
                "SELECT time / " + day + ", COUNT(*), SUM(CASE WHEN agree IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN agree = 1 THEN 1 ELSE 0 END), " +
                "COUNT(judge_score), AVG(judge_score) FROM tandem_shadow_sample WHERE route = @r AND time >= @a AND time < @b " +
                "GROUP BY time / " + day + " ORDER BY time / " + day,
                cancellationToken,
                r =>
                {
                    long L(int i) => r.IsDBNull(i) ? 0 : Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);
                    return new ShadowDay(DateOnly.FromDayNumber((int)L(0) + DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber),
                        L(1), L(2), L(3), L(4), r.IsDBNull(5) ? null : Convert.ToDouble(r.GetValue(5), CultureInfo.InvariantCulture));
                },
                ("@r", route), ("@a", ToUs(from)), ("@b", ToUs(to))).ConfigureAwait(false);
        }
    }

    private static long ToUs(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
}
