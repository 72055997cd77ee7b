using System.Data.Common;
using System.Globalization;
using Tandem.Configuration;
using Tandem.Feedback;
using Tandem.Migration;
using Tandem.Privacy;
using Tandem.Records;
using Xunit;

namespace Tandem.Storage.Tests.Privacy;

/// <summary>One throw-away database (a SQLite file or a PostgreSQL schema) that tests open several times, each with its own keys.</summary>
public abstract class PrivacyFixture : IAsyncLifetime
{
    private readonly List<StorageDatabase> _open = [];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static readonly DateTimeOffset Noon = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private readonly IPrivacyBackend _backend;

    private protected PrivacyFixture(IPrivacyBackend backend)
    {
        _backend = backend;
    }

    private protected IPrivacyBackend Backend => _backend;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var db in _open)
        {
            await db.DisposeAsync();
        }

        await _backend.CleanupAsync();
        GC.SuppressFinalize(this);
    }

    protected async Task<StorageDatabase> OpenAsync(ContentCipher? cipher = null, StorageConfig? options = null)
    {
        var db = _backend.Open(options ?? new StorageConfig(), cipher);
        _open.Add(db);
        await db.MigrateAsync(Ct);
        return db;
    }

    protected static ContentCipher Keys(string active, params string[] ids) =>
        ContentCipher.Create(ids.ToDictionary(id => id, KeyBytes), active);

    /// <summary>A fixed 32-byte key per id (its UTF-8 bytes repeated), so that two opens of one id agree.</summary>
    protected static byte[] KeyBytes(string id)
    {
        var bytes = new byte[32];
        var source = System.Text.Encoding.UTF8.GetBytes(id);
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = source[i % source.Length];
        }

        return bytes;
    }

    protected static RequestRecord Record(string id, string? user, int attempts, string? prompt, string? response, int minute = 0)
    {
        var r = new RequestRecord
        {
            Id = id,
            Time = Noon.AddMinutes(minute),
            Operation = "chat",
            Key = "app",
            Route = "support",
            Deployment = "llama",
            Decision = "route support → llama",
            Status = 200,
            TotalMs = 40,
            PromptTokens = 12,
            CompletionTokens = 3,
            EndUser = user,
            PromptContent = prompt,
            ResponseContent = response,
        };
        for (var i = 0; i < attempts; i++)
        {
            r.Attempts.Add(new AttemptRecord(i == attempts - 1 ? "llama" : "gpt", i == attempts - 1 ? 200 : 503, null, 10));
        }

        return r;
    }

    protected static FeedbackEntry Feedback(string requestId, string? user, string comment) => new()
    {
        RequestId = requestId, Time = Noon, Author = "app", Route = "support", Scale = RatingScale.Thumbs, Rating = 1, Comment = comment,
        Correction = "corrected " + comment, EndUser = user, Messages = "[{\"role\":\"user\",\"content\":\"" + comment + "\"}]", Answer = "answer " + comment,
    };

    protected static ShadowSample Sample(string requestId, string incumbent, string candidate) => new()
    {
        Route = "support", RequestId = requestId, Time = Noon, Stage = "shadow", IncumbentAnswer = incumbent, CandidateAnswer = candidate,
        IncumbentLabel = "a", CandidateLabel = "a", Agree = true,
    };

    /// <summary>Every value of every row of every table, as text (table, column, value).</summary>
    protected async Task<List<(string Table, string Column, string Value)>> EveryValueAsync(StorageDatabase db)
    {
        var values = new List<(string, string, string)>();
        var connection = await db.OpenAsync(Ct);
        await using (connection)
        {
            var tables = await Sql.QueryAsync(connection, _backend.TablesSql, Ct, r => r.GetString(0));
            Assert.Contains("records", tables);
            Assert.Contains("tandem_feedback", tables);
            foreach (var table in tables)
            {
                await using var cmd = Sql.Command(connection, null, "SELECT * FROM " + table);
                await using var reader = await cmd.ExecuteReaderAsync(Ct);
                while (await reader.ReadAsync(Ct))
                {
                    for (var i = 0; i < reader.FieldCount; i++)
                    {
                        if (!reader.IsDBNull(i))
                        {
                            values.Add((table, reader.GetName(i), Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? ""));
                        }
                    }
                }
            }
        }

        return values;
    }

    /// <summary>The raw value of one column of one table's rows, in insertion order.</summary>
    protected static async Task<List<string?>> RawAsync(StorageDatabase db, string sql)
    {
        var connection = await db.OpenAsync(Ct);
        await using (connection)
        {
            return await Sql.QueryAsync(connection, sql, Ct, (DbDataReader r) => r.IsDBNull(0) ? null : Convert.ToString(r.GetValue(0), CultureInfo.InvariantCulture));
        }
    }
}

internal interface IPrivacyBackend
{
    StorageDatabase Open(StorageConfig options, ContentCipher? cipher);

    /// <summary>Every table of the database, by name.</summary>
    string TablesSql { get; }

    ValueTask CleanupAsync();
}

internal sealed class SqliteBackend : IPrivacyBackend
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-privacy-").FullName;

    public StorageDatabase Open(StorageConfig options, ContentCipher? cipher) =>
        StorageFactory.OpenSqlite(Path.Combine(_dir, "tandem.db"), options, null, cipher);

    public string TablesSql => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";

    public ValueTask CleanupAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }
}

internal sealed class PostgresBackend : IPrivacyBackend
{
    private readonly string _schema = StoreFixtures.NewSchema();

    public StorageDatabase Open(StorageConfig options, ContentCipher? cipher) =>
        StorageFactory.OpenPostgres(StoreFixtures.PostgresConnectionString, options with { Schema = _schema }, null, cipher);

    public string TablesSql => "SELECT table_name::text FROM information_schema.tables WHERE table_schema = '" + _schema + "' ORDER BY table_name";

    public async ValueTask CleanupAsync() => await StoreFixtures.DropSchemaAsync(_schema);
}
