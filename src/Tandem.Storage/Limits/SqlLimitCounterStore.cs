using System.Data.Common;
using System.Globalization;
using Tandem.Limits;

namespace Tandem.Storage.Limits;

/// <summary>
/// Budget and rate-limit counters in the gateway's database (<c>tandem_limit_counter</c>, schema version 5): PostgreSQL
/// when several instances share the counts, SQLite for one instance. Same SQL on both.
/// </summary>
/// <remarks>
/// Each charge is one statement that checks and increments together:
/// <code>INSERT … ON CONFLICT (id) DO UPDATE SET used = used + amount WHERE used + amount &lt;= cap RETURNING used</code>
/// No row back means the cap would be passed. On PostgreSQL the row lock taken by the upsert makes a concurrent
/// charge of the same counter wait and then re-check the condition against the committed value, so no two instances
/// can both pass the last unit. Several charges run in one transaction, in counter-id order (no deadlock between two
/// requests charging the same counters), and the transaction is rolled back when one is refused: all or nothing.
/// </remarks>
public sealed class SqlLimitCounterStore : ILimitCounterStore
{
    private const string TakeSql =
        "INSERT INTO tandem_limit_counter (id, used, expires_at_ms) VALUES (@id, @amount, @expires) " +
        "ON CONFLICT (id) DO UPDATE SET used = tandem_limit_counter.used + excluded.used " +
        "WHERE tandem_limit_counter.used + excluded.used <= @cap RETURNING used";

    private const string AdjustSql = "UPDATE tandem_limit_counter SET used = used + @amount WHERE id = @id RETURNING used";

    private readonly StorageDatabase _database;

    /// <summary>Counts in <paramref name="database"/> (migrated by the storage host).</summary>
    public SqlLimitCounterStore(StorageDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
    }

    /// <inheritdoc />
    public async ValueTask<LimitTakeResult> TakeAsync(LimitCharge[] charges, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(charges);
        for (var i = 0; i < charges.Length; i++)
        {
            if (charges[i].Amount > charges[i].Cap)
            {
                return new LimitTakeResult(i, new long[charges.Length]);
            }
        }

        var used = new long[charges.Length];
        var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            if (charges.Length == 1)
            {
                var one = await TakeOneAsync(connection, null, charges[0], cancellationToken).ConfigureAwait(false);
                return one is { } v ? new LimitTakeResult(-1, [v]) : new LimitTakeResult(0, used);
            }

            var order = new int[charges.Length];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            Array.Sort(order, (a, b) => string.CompareOrdinal(charges[a].Counter, charges[b].Counter));
            var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                foreach (var i in order)
                {
                    if (await TakeOneAsync(connection, tx, charges[i], cancellationToken).ConfigureAwait(false) is not { } v)
                    {
                        await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                        return new LimitTakeResult(i, new long[charges.Length]);
                    }

                    used[i] = v;
                }

                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return new LimitTakeResult(-1, used);
    }

    /// <inheritdoc />
    public async ValueTask<long[]> AdjustAsync(LimitCharge[] adjustments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adjustments);
        var used = new long[adjustments.Length];
        var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // One statement per counter, each its own transaction: a settlement never holds two row locks at once,
            // so it cannot deadlock with an admission taking the same counters.
            for (var i = 0; i < adjustments.Length; i++)
            {
                var value = await Sql.ScalarAsync(connection, null, AdjustSql, cancellationToken,
                    ("@amount", adjustments[i].Amount), ("@id", adjustments[i].Counter)).ConfigureAwait(false);
                used[i] = value is null ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
            }
        }

        return used;
    }

    /// <summary>Deletes counters whose windows ended more than a grace period before <paramref name="now"/>; returns how many.</summary>
    public async Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await Sql.ExecuteAsync(connection, null, "DELETE FROM tandem_limit_counter WHERE expires_at_ms < @now", cancellationToken,
                ("@now", now.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        }
    }

    /// <summary>A counter's value (tests, diagnostics); 0 when it does not exist.</summary>
    public async Task<long> ReadAsync(string counter, CancellationToken cancellationToken = default)
    {
        var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var value = await Sql.ScalarAsync(connection, null, "SELECT used FROM tandem_limit_counter WHERE id = @id", cancellationToken, ("@id", counter)).ConfigureAwait(false);
            return value is null ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }
    }

    private static async Task<long?> TakeOneAsync(DbConnection connection, DbTransaction? tx, LimitCharge charge, CancellationToken cancellationToken)
    {
        var value = await Sql.ScalarAsync(connection, tx, TakeSql, cancellationToken,
            ("@id", charge.Counter), ("@amount", charge.Amount), ("@expires", charge.ExpiresAtMs), ("@cap", charge.Cap)).ConfigureAwait(false);
        return value is null ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }
}
