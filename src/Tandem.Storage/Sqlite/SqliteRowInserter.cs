using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Tandem.Storage.Sqlite;

/// <summary>
/// Inserts rows through one prepared single-row statement, bound by position with SQLite's own calls: no
/// <c>SqliteParameter</c> objects, no per-execution binders, no parameter lookup by name (with hundreds of named
/// parameters in a multi-row VALUES list, SQLite's name lookup was the writer's largest CPU cost), no boxing for
/// <see cref="RowValue"/>. It runs inside the caller's transaction on the same connection.
/// </summary>
internal static class SqliteRowInserter
{
    /// <summary>Inserts <paramref name="count"/> rows whose values <paramref name="value"/> gives by (row, column).</summary>
    public static void Insert(DbConnection connection, string sql, int columns, int count, Func<int, int, RowValue> value, CancellationToken cancellationToken)
    {
        var db = ((SqliteConnection)connection).Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        Check(raw.sqlite3_prepare_v2(db, sql, out var stmt), db);
        using (stmt)
        {
            for (var row = 0; row < count; row++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                for (var c = 0; c < columns; c++)
                {
                    Check(Bind(stmt, c + 1, value(row, c)), db);
                }

                var rc = raw.sqlite3_step(stmt);
                if (rc != raw.SQLITE_DONE)
                {
                    Check(rc, db);
                }

                Check(raw.sqlite3_reset(stmt), db);
            }
        }
    }

    /// <summary>As <see cref="Insert(DbConnection, string, int, int, Func{int, int, RowValue}, CancellationToken)"/>, for boxed values.</summary>
    public static void Insert(DbConnection connection, string sql, int columns, int count, Func<int, int, object?> value, CancellationToken cancellationToken) =>
        Insert(connection, sql, columns, count, (row, column) => FromObject(value(row, column)), cancellationToken);

    /// <summary>A single-row insert with positional parameters <c>?1…?n</c>.</summary>
    public static string SingleRowSql(string table, IReadOnlyList<string> columns)
    {
        var sb = new StringBuilder("INSERT INTO ").Append(table).Append(" (").AppendJoin(", ", columns).Append(") VALUES (");
        for (var c = 0; c < columns.Count; c++)
        {
            sb.Append(c == 0 ? "?" : ", ?").Append(c + 1);
        }

        return sb.Append(')').ToString();
    }

    /// <summary>A boxed value as a <see cref="RowValue"/>; the types Tandem's tables hold, and nothing else.</summary>
    internal static RowValue FromObject(object? value) => value switch
    {
        null or DBNull => RowValue.Null,
        string s => s,
        long l => l,
        int i => i,
        short s => s,
        byte b => (short)b,
        bool b => b ? 1 : 0,
        double d => d,
        float f => (double)f,
        _ => throw new NotSupportedException($"Cannot store a value of type {value.GetType().Name} in SQLite; convert it to a number or a string first."),
    };

    private static int Bind(sqlite3_stmt stmt, int index, RowValue value) => value.Kind switch
    {
        RowValueKind.Int16 or RowValueKind.Int32 or RowValueKind.Int64 => raw.sqlite3_bind_int64(stmt, index, value.Integer),
        RowValueKind.Double => raw.sqlite3_bind_double(stmt, index, value.Real),
        RowValueKind.Text => raw.sqlite3_bind_text16(stmt, index, value.Text.AsSpan()),
        _ => raw.sqlite3_bind_null(stmt, index),
    };

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
        }
    }
}
