using System.Data.Common;
using System.Globalization;
using Tandem.Classification;

namespace Tandem.Storage;

/// <summary>
/// <see cref="ILabelStore"/> in a <see cref="StorageDatabase"/> (tables of <c>008_labels.sql</c>), and the read of a
/// route's captured requests from the records tables. A set and its labels are written in one transaction, so a
/// version is either whole or absent.
/// </summary>
internal sealed class SqlLabelStore : ILabelStore
{
    private const string SetColumns = "version, route, created, raters, items, kappa, kappa_kind, source";

    private readonly StorageDatabase _db;

    public SqlLabelStore(StorageDatabase database)
    {
        _db = database;
    }

    private static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static long L(DbDataReader r, int i) => Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);

    private static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    /// <inheritdoc />
    public async Task<IReadOnlyList<RouteExchange>> ExchangesAsync(string route, DateTimeOffset since, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(route);
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // Records and contents share the request id; a request's route, deployment and decision are dictionary ids.
            return await Sql.QueryAsync(connection,
                "SELECT r.request_id, r.time_ms, d.value, dc.value, c.prompt, c.response FROM records r " +
                "JOIN dictionary rt ON rt.id = r.route_id " +
                "LEFT JOIN dictionary d ON d.id = r.deployment_id " +
                "LEFT JOIN dictionary dc ON dc.id = r.decision_id " +
                "JOIN contents c ON c.request_id = r.request_id " +
                "WHERE rt.value = @route AND r.time_ms >= @since AND r.status = 200 AND c.prompt IS NOT NULL " +
                "ORDER BY r.time_ms DESC, r.request_id LIMIT @limit",
                cancellationToken,
                static r => new RouteExchange(r.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(L(r, 1)), Str(r, 2), Str(r, 3) ?? "", Str(r, 4), Str(r, 5)),
                ("@route", route), ("@since", since.ToUnixTimeMilliseconds()), ("@limit", limit)).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<LabelSet> AddSetAsync(LabelSet set, IReadOnlyList<RaterLabel> labels, IReadOnlyList<AgreedLabel> agreed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(agreed);
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                var version = Convert.ToInt64(await Sql.ScalarAsync(connection, tx,
                    "INSERT INTO tandem_label_set (route, created, raters, items, kappa, kappa_kind, source) " +
                    "VALUES (@route, @created, @raters, @items, @kappa, @kind, @source) RETURNING version",
                    cancellationToken, ("@route", set.Route), ("@created", Micros(set.Created)), ("@raters", set.Raters), ("@items", set.Items),
                    ("@kappa", set.Kappa), ("@kind", set.KappaKind), ("@source", set.Source)).ConfigureAwait(false), CultureInfo.InvariantCulture);
                if (labels.Count > 0)
                {
                    await _db.InsertRowsAsync(connection, tx, "tandem_label", ["version", "item", "rater", "label"], labels.Count,
                        (row, column) => column switch { 0 => version, 1 => labels[row].Item, 2 => labels[row].Rater, _ => labels[row].Label }, cancellationToken).ConfigureAwait(false);
                }

                if (agreed.Count > 0)
                {
                    await _db.InsertRowsAsync(connection, tx, "tandem_label_agreed", ["version", "item", "text", "label"], agreed.Count,
                        (row, column) => column switch { 0 => version, 1 => agreed[row].Item, 2 => agreed[row].Text, _ => agreed[row].Label }, cancellationToken).ConfigureAwait(false);
                }

                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                return set with { Version = version };
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LabelSet>> SetsAsync(string? route, CancellationToken cancellationToken = default)
    {
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return route is null
                ? await Sql.QueryAsync(connection, "SELECT " + SetColumns + " FROM tandem_label_set ORDER BY version", cancellationToken, ReadSet).ConfigureAwait(false)
                : await Sql.QueryAsync(connection, "SELECT " + SetColumns + " FROM tandem_label_set WHERE route = @route ORDER BY version", cancellationToken, ReadSet, ("@route", route)).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AgreedLabel>> AgreedAsync(long version, CancellationToken cancellationToken = default)
    {
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await Sql.QueryAsync(connection, "SELECT item, text, label FROM tandem_label_agreed WHERE version = @version ORDER BY item", cancellationToken,
                static r => new AgreedLabel(r.GetString(0), r.GetString(1), r.GetString(2)), ("@version", version)).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RaterLabel>> LabelsAsync(long version, CancellationToken cancellationToken = default)
    {
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await Sql.QueryAsync(connection, "SELECT item, rater, label FROM tandem_label WHERE version = @version ORDER BY item, rater", cancellationToken,
                static r => new RaterLabel(r.GetString(0), r.GetString(1), r.GetString(2)), ("@version", version)).ConfigureAwait(false);
        }
    }

    private static LabelSet ReadSet(DbDataReader r) => new()
    {
        Version = L(r, 0),
        Route = r.GetString(1),
        Created = DateTimeOffset.UnixEpoch.AddTicks(L(r, 2) * 10),
        Raters = (int)L(r, 3),
        Items = (int)L(r, 4),
        Kappa = r.IsDBNull(5) ? null : Convert.ToDouble(r.GetValue(5), CultureInfo.InvariantCulture),
        KappaKind = r.GetString(6),
        Source = r.GetString(7),
    };
}
