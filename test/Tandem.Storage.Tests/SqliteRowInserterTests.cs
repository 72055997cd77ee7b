using Xunit;
using Microsoft.Data.Sqlite;
using Tandem.Storage.Sqlite;

namespace Tandem.Storage.Tests;

/// <summary>The SQLite writer's positional binding: values, types, errors and cancellation on a real SQLite file.</summary>
public sealed class SqliteRowInserterTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-inserter-").FullName;
    private SqliteConnection _connection = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _connection = new SqliteConnection($"Data Source={Path.Combine(_dir, "t.db")};Pooling=False");
        await _connection.OpenAsync(Ct);
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = "CREATE TABLE t (a INTEGER NOT NULL, b REAL, c TEXT, d INTEGER)";
        await cmd.ExecuteNonQueryAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void SingleRowSql_NumbersEveryColumnByPosition()
    {
        Assert.Equal("INSERT INTO t (a, b, c) VALUES (?1, ?2, ?3)", SqliteRowInserter.SingleRowSql("t", ["a", "b", "c"]));
    }

    [Fact]
    public async Task Insert_RowValues_StoredWithTheirSqliteTypesAndExactValues()
    {
        RowValue[][] rows =
        [
            [(short)-7, 2.5, "Grüße 😀 'quoted'", (long)9_007_199_254_740_993],
            [int.MaxValue, RowValue.Null, RowValue.Null, RowValue.Null],
            [0L, -0.125, "", 1],
        ];
        await using (var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(Ct))
        {
            SqliteRowInserter.Insert(_connection, SqliteRowInserter.SingleRowSql("t", ["a", "b", "c", "d"]), 4, rows.Length, (r, c) => rows[r][c], CancellationToken.None);
            await tx.CommitAsync(Ct);
        }

        var read = await ReadAllAsync();
        Assert.Equal(
        [
            "-7|integer|2.5|real|Grüße 😀 'quoted'|text|9007199254740993|integer",
            "2147483647|integer|NULL|null|NULL|null|NULL|null",
            "0|integer|-0.125|real||text|1|integer",
        ], read);
    }

    [Fact]
    public async Task Insert_BoxedValues_ConvertedLikeRowValues()
    {
        object?[][] rows = [[(byte)200, 1.5f, "x", true], [5L, DBNull.Value, null, false]];
        SqliteRowInserter.Insert(_connection, SqliteRowInserter.SingleRowSql("t", ["a", "b", "c", "d"]), 4, rows.Length, (r, c) => rows[r][c], CancellationToken.None);

        Assert.Equal(["200|integer|1.5|real|x|text|1|integer", "5|integer|NULL|null|NULL|null|0|integer"], await ReadAllAsync());
    }

    [Fact]
    public void FromObject_UnsupportedType_SaysWhichType()
    {
        var e = Assert.Throws<NotSupportedException>(() => SqliteRowInserter.FromObject(1.5m));
        Assert.Contains("Decimal", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Insert_ConstraintViolation_ThrowsSqliteErrorAndTheTransactionRollsBackEveryRow()
    {
        RowValue[][] rows = [[1, 1.0, "ok", 1], [RowValue.Null, 2.0, "violates NOT NULL", 2]];
        await using (var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(Ct))
        {
            var e = Assert.Throws<SqliteException>(() =>
                SqliteRowInserter.Insert(_connection, SqliteRowInserter.SingleRowSql("t", ["a", "b", "c", "d"]), 4, rows.Length, (r, c) => rows[r][c], CancellationToken.None));
            Assert.Equal(19, e.SqliteErrorCode); // SQLITE_CONSTRAINT
            Assert.Contains("NOT NULL", e.Message, StringComparison.Ordinal);
            await tx.RollbackAsync(Ct);
        }

        Assert.Empty(await ReadAllAsync());
    }

    [Fact]
    public async Task Insert_Cancelled_WritesNothing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        Assert.Throws<OperationCanceledException>(() =>
            SqliteRowInserter.Insert(_connection, SqliteRowInserter.SingleRowSql("t", ["a"]), 1, 3, (r, c) => (RowValue)r, cancelled.Token));
        Assert.Empty(await ReadAllAsync());
    }

    [Fact]
    public void RowValue_ToObject_GivesBackTheTypeItWasMadeFrom()
    {
        Assert.IsType<short>(((RowValue)(short)3).ToObject());
        Assert.IsType<int>(((RowValue)3).ToObject());
        Assert.IsType<long>(((RowValue)3L).ToObject());
        Assert.IsType<double>(((RowValue)3.0).ToObject());
        Assert.Equal("s", ((RowValue)"s").ToObject());
        Assert.Null(((RowValue)(string?)null).ToObject());
        Assert.Null(RowValue.Null.ToObject());
        Assert.Equal((short)-3, ((RowValue)(short)-3).ToObject());
        Assert.Equal(RowValueKind.Null, ((RowValue)(string?)null).Kind);
        Assert.NotEqual((RowValue)3, (RowValue)3L);
        Assert.Equal((RowValue)"a", (RowValue)"a");
    }

    private async Task<List<string>> ReadAllAsync()
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT a, typeof(a), b, typeof(b), c, typeof(c), d, typeof(d) FROM t ORDER BY rowid";
        await using var reader = await cmd.ExecuteReaderAsync(Ct);
        var rows = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            var cells = new string[8];
            for (var i = 0; i < 8; i++)
            {
                cells[i] = reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!;
            }

            rows.Add(string.Join('|', cells));
        }

        return rows;
    }
}
