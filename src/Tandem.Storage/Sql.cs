using System.Data.Common;

namespace Tandem.Storage;

/// <summary>Parameterised commands on an open connection: the one helper every store of the database uses.</summary>
internal static class Sql
{
    public static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }

        return cmd;
    }

    public static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var cmd = Command(connection, tx, sql, parameters);
        await using (cmd.ConfigureAwait(false))
        {
            return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var cmd = Command(connection, tx, sql, parameters);
        await using (cmd.ConfigureAwait(false))
        {
            var value = await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return value is DBNull ? null : value;
        }
    }

    public static Task<List<T>> QueryAsync<T>(DbConnection connection, string sql, CancellationToken cancellationToken, Func<DbDataReader, T> read, params (string Name, object? Value)[] parameters) =>
        QueryAsync(connection, null, sql, cancellationToken, read, parameters);

    public static async Task<List<T>> QueryAsync<T>(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, Func<DbDataReader, T> read, params (string Name, object? Value)[] parameters)
    {
        var cmd = Command(connection, tx, sql, parameters);
        await using (cmd.ConfigureAwait(false))
        {
            var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var list = new List<T>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    list.Add(read(reader));
                }

                return list;
            }
        }
    }
}

/// <summary>Which failures mean "the database cannot be used right now" (answer 503, retry later) rather than a bug.</summary>
public static class StorageErrors
{
    /// <summary>
    /// True for connection, I/O, timeout and driver errors: PostgreSQL down or refusing, a SQLite file that cannot be
    /// opened or created, a schema not yet migrated because the database was down at start-up.
    /// </summary>
    public static bool IsUnavailable(Exception exception) =>
        exception is DbException or IOException or TimeoutException or UnauthorizedAccessException or System.Net.Sockets.SocketException
            or InvalidOperationException { InnerException: DbException or IOException or System.Net.Sockets.SocketException };
}
