using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Tandem.Adapters;
using Tandem.Feedback;

namespace Tandem.Storage;

/// <summary>
/// <see cref="IFeedbackStore"/> and <see cref="IAdapterStore"/> in a <see cref="StorageDatabase"/> (tables of
/// <c>003_feedback.sql</c>). Feedback is append-only; times are Unix microseconds, as in the migration tables.
/// </summary>
internal sealed class SqlFeedbackStore : IFeedbackStore, IAdapterStore
{
    private const string Columns = "id, request_id, time, author, route, deployment, scale, rating, correction, comment, end_user, tags, messages, answer, key_id";

    private readonly StorageDatabase _db;

    public SqlFeedbackStore(StorageDatabase database)
    {
        _db = database;
    }

    private static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static DateTimeOffset FromMicros(long us) => DateTimeOffset.UnixEpoch.AddTicks(us * 10);

    private static long L(DbDataReader r, int i) => Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);

    private static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private async Task<T> WithConnectionAsync<T>(Func<DbConnection, Task<T>> action, CancellationToken cancellationToken)
    {
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await action(connection).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public Task<FeedbackEntry> AddAsync(FeedbackEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var tags = entry.Tags is { Count: > 0 } t ? JsonSerializer.Serialize(new Dictionary<string, string>(t), StorageJsonContext.Default.DictionaryStringString) : null;
        // The free text (correction, comment, conversation, answer) is content; the rest is metadata kept in clear.
        var cipher = _db.Cipher;
        string? Protect(string? text, string column) => cipher is null ? text : cipher.Encrypt(text, column);
        return WithConnectionAsync(async c =>
        {
            var id = await Sql.ScalarAsync(c, null,
                "INSERT INTO tandem_feedback (request_id, time, author, route, deployment, scale, rating, correction, comment, end_user, tags, messages, answer, key_id) " +
                "VALUES (@request, @time, @author, @route, @deployment, @scale, @rating, @correction, @comment, @user, @tags, @messages, @answer, @key) RETURNING id",
                cancellationToken, ("@request", entry.RequestId), ("@time", Micros(entry.Time)), ("@author", entry.Author), ("@route", entry.Route),
                ("@deployment", entry.Deployment), ("@scale", ScaleName(entry.Scale)), ("@rating", entry.Rating), ("@correction", Protect(entry.Correction, "correction")),
                ("@comment", Protect(entry.Comment, "comment")), ("@user", entry.EndUser), ("@tags", tags), ("@messages", Protect(entry.Messages, "messages")),
                ("@answer", Protect(entry.Answer, "answer")), ("@key", cipher?.ActiveKeyId)).ConfigureAwait(false);
            return entry with { Id = Convert.ToInt64(id, CultureInfo.InvariantCulture) };
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<FeedbackEntry>> ForRequestAsync(string requestId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        return WithConnectionAsync<IReadOnlyList<FeedbackEntry>>(async c => await Sql.QueryAsync(c,
            "SELECT " + Columns + " FROM tandem_feedback WHERE request_id = @request ORDER BY id", cancellationToken, ReadEntry, ("@request", requestId)).ConfigureAwait(false), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<FeedbackEntry>> ForRouteAsync(string route, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(route);
        return WithConnectionAsync<IReadOnlyList<FeedbackEntry>>(async c => await Sql.QueryAsync(c,
            "SELECT " + Columns + " FROM tandem_feedback WHERE route = @route AND time >= @since ORDER BY id", cancellationToken, ReadEntry,
            ("@route", route), ("@since", Micros(since))).ConfigureAwait(false), cancellationToken);
    }

    private static string ScaleName(RatingScale scale) => scale switch
    {
        RatingScale.Thumbs => "thumbs",
        RatingScale.Stars => "stars",
        _ => "none",
    };

    private FeedbackEntry ReadEntry(DbDataReader r)
    {
        var key = Str(r, 14);
        string? Open(int i, string column) => Tandem.Privacy.ContentCipher.Decrypt(_db.Cipher, Str(r, i), key, column);
        return Read(r, Open);
    }

    private static FeedbackEntry Read(DbDataReader r, Func<int, string, string?> open) => new()
    {
        Id = L(r, 0),
        RequestId = r.GetString(1),
        Time = FromMicros(L(r, 2)),
        Author = r.GetString(3),
        Route = Str(r, 4),
        Deployment = Str(r, 5),
        Scale = r.GetString(6) switch
        {
            "thumbs" => RatingScale.Thumbs,
            "stars" => RatingScale.Stars,
            _ => RatingScale.None,
        },
        Rating = r.IsDBNull(7) ? null : (int)L(r, 7),
        Correction = open(8, "correction"),
        Comment = open(9, "comment"),
        EndUser = Str(r, 10),
        Tags = Str(r, 11) is { } tags ? JsonSerializer.Deserialize(tags, StorageJsonContext.Default.DictionaryStringString) : null,
        Messages = open(12, "messages"),
        Answer = open(13, "answer"),
    };

    /// <inheritdoc />
    public Task<IReadOnlyList<AdapterRegistration>> ListAsync(CancellationToken cancellationToken = default) =>
        WithConnectionAsync<IReadOnlyList<AdapterRegistration>>(async c => await Sql.QueryAsync(c,
            "SELECT name, base, path, dataset, eval, registered_at FROM tandem_adapter ORDER BY name", cancellationToken, r => new AdapterRegistration
            {
                Name = r.GetString(0),
                Base = r.GetString(1),
                Path = r.GetString(2),
                Dataset = Str(r, 3),
                Eval = Str(r, 4),
                RegisteredAt = FromMicros(L(r, 5)),
            }).ConfigureAwait(false), cancellationToken);

    /// <inheritdoc />
    public Task SaveAsync(AdapterRegistration adapter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        return WithConnectionAsync(c => Sql.ExecuteAsync(c, null,
            "INSERT INTO tandem_adapter (name, base, path, dataset, eval, registered_at) VALUES (@name, @base, @path, @dataset, @eval, @at) " +
            "ON CONFLICT (name) DO UPDATE SET base = excluded.base, path = excluded.path, dataset = excluded.dataset, eval = excluded.eval, registered_at = excluded.registered_at",
            cancellationToken, ("@name", adapter.Name), ("@base", adapter.Base), ("@path", adapter.Path), ("@dataset", adapter.Dataset), ("@eval", adapter.Eval),
            ("@at", Micros(adapter.RegisteredAt))), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return await WithConnectionAsync(c => Sql.ExecuteAsync(c, null, "DELETE FROM tandem_adapter WHERE name = @name", cancellationToken, ("@name", name)), cancellationToken).ConfigureAwait(false) == 1;
    }
}
