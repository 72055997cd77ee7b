using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Tandem.Records;
using Tandem.Storage;
using Tandem.Storage.Sqlite;

namespace Tandem.Benchmarks;

/// <summary>
/// The SQLite record writer's insert of 100 records into the records table, in one transaction on a real file
/// (WAL, as the gateway runs it): the writer as it is (one prepared single-row statement bound by position with
/// SQLite's own calls) against the writer as it was (multi-row INSERTs of 16 rows with named <c>SqliteParameter</c>s
/// bound by Microsoft.Data.Sqlite, values boxed), rebuilt here for the comparison.
/// </summary>
[MemoryDiagnoser]
public class RecordInsertBenchmarks
{
    private const int Rows = 100;
    private const int RowsPerStatement = 16;
    private readonly List<RequestRecord> _records = [];
    private string _dir = "";
    private SqliteConnection _connection = null!;
    private string _singleRowSql = "";
    private string? _multiRowSql;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("tandem-insert-bench-").FullName;
        var path = Path.Combine(_dir, "tandem.db");
        var db = StorageFactory.OpenSqlite(path, new Tandem.Configuration.StorageConfig());
        db.MigrateAsync().GetAwaiter().GetResult();
        db.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _connection = new SqliteConnection($"Data Source={path}");
        _connection.Open();
        using (var pragma = _connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";
            pragma.ExecuteNonQuery();
        }

        for (var i = 0; i < Rows; i++)
        {
            _records.Add(new RequestRecord
            {
                Id = "req-" + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture),
                Time = DateTimeOffset.FromUnixTimeMilliseconds(1_764_633_600_000 + i),
                Operation = "chat.completions",
                Status = 200,
                PromptTokens = 40 + i,
                CompletionTokens = 110,
                Cost = 0.000123m,
                TotalMs = 1.25,
                OverheadMs = 0.2,
                UpstreamMs = 1.05,
            });
        }

        _singleRowSql = SqliteRowInserter.SingleRowSql("records", RecordColumns.Records);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connection.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The writer now.</summary>
    [Benchmark]
    public void PositionalPrepared()
    {
        using var tx = _connection.BeginTransaction();
        SqliteRowInserter.Insert(_connection, _singleRowSql, RecordColumns.Records.Length, Rows, (row, column) => SqlRecordStore.RecordValue(_records[row], column, Id), CancellationToken.None);
        tx.Commit();
    }

    /// <summary>The writer before: multi-row statements (SQL cached, the full-size command reused), named parameters, boxed values.</summary>
    [Benchmark(Baseline = true)]
    public void NamedMultiRow()
    {
        using var tx = _connection.BeginTransaction();
        var columns = RecordColumns.Records;
        SqliteCommand? full = null;
        try
        {
            for (var start = 0; start < Rows; start += RowsPerStatement)
            {
                var rows = Math.Min(RowsPerStatement, Rows - start);
                var cmd = rows == RowsPerStatement ? full ??= Command(tx, rows) : Command(tx, rows);
                for (var r = 0; r < rows; r++)
                {
                    for (var c = 0; c < columns.Length; c++)
                    {
                        cmd.Parameters[(r * columns.Length) + c].Value = SqlRecordStore.RecordValue(_records[start + r], c, Id).ToObject() ?? DBNull.Value;
                    }
                }

                cmd.ExecuteNonQuery();
                if (!ReferenceEquals(cmd, full))
                {
                    cmd.Dispose();
                }
            }
        }
        finally
        {
            full?.Dispose();
        }

        tx.Commit();
    }

    private SqliteCommand Command(SqliteTransaction tx, int rows)
    {
        var columns = RecordColumns.Records;
        var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = rows == RowsPerStatement ? _multiRowSql ??= MultiRowSql(rows) : MultiRowSql(rows);
        for (var i = 0; i < rows * columns.Length; i++)
        {
            cmd.Parameters.Add(new SqliteParameter("@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), DBNull.Value));
        }

        return cmd;
    }

    private static string MultiRowSql(int rows)
    {
        var columns = RecordColumns.Records;
        var sql = new StringBuilder("INSERT INTO records (").AppendJoin(", ", columns).Append(") VALUES ");
        for (var r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < columns.Length; c++)
            {
                sql.Append(c == 0 ? "" : ", ").Append("@p").Append((r * columns.Length) + c);
            }

            sql.Append(')');
        }

        return sql.ToString();
    }

    private static int Id(DictionaryKind kind, string? value) => value is null ? 0 : 1;
}
