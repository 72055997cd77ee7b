using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tandem.Access;

namespace Tandem.Storage;

[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class AccessJsonContext : JsonSerializerContext;

/// <summary>
/// <see cref="IKeyStore"/>, <see cref="IChangeSignals"/> and <see cref="IAuditLog"/> in a <see cref="StorageDatabase"/>
/// (tables of <c>004_keys.sql</c>). A key change and the <c>keys</c> counter move in one transaction. The audit
/// table is only ever inserted into.
/// </summary>
internal sealed class SqlAccessStore : IKeyStore, IChangeSignals, IAuditLog
{
    private const string KeyColumns = "id, name, hash, prefix, owner, team, role, routes, metadata, created_at, expires_at, revoked_at, rotated_from";
    private const string AuditColumns = "id, time, actor, actor_key_id, action, object, before, after, status, request_id";
    private readonly StorageDatabase _db;

    public SqlAccessStore(StorageDatabase database)
    {
        _db = database;
    }

    private static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static long? Micros(DateTimeOffset? t) => t is { } v ? Micros(v) : null;

    private static DateTimeOffset FromMicros(long us) => DateTimeOffset.UnixEpoch.AddTicks(us * 10);

    private static long L(DbDataReader r, int i) => Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);

    private static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTimeOffset? Time(DbDataReader r, int i) => r.IsDBNull(i) ? null : FromMicros(L(r, i));

    private async Task<T> WithConnectionAsync<T>(Func<DbConnection, Task<T>> action, CancellationToken cancellationToken)
    {
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await action(connection).ConfigureAwait(false);
        }
    }

    private async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> action, CancellationToken cancellationToken)
    {
        var connection = await _db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                var result = await action(connection, tx).ConfigureAwait(false);
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
        }
    }

    private static Task<object?> BumpAsync(DbConnection c, DbTransaction? tx, string name, CancellationToken cancellationToken) =>
        Sql.ScalarAsync(c, tx, "UPDATE tandem_signal SET version = version + 1 WHERE name = @name RETURNING version", cancellationToken, ("@name", name));

    private static Task InsertKeyAsync(DbConnection c, DbTransaction tx, VirtualKey key, CancellationToken cancellationToken) =>
        Sql.ExecuteAsync(c, tx, "INSERT INTO tandem_key (" + KeyColumns + ") VALUES (@id, @name, @hash, @prefix, @owner, @team, @role, @routes, @metadata, @created, @expires, @revoked, @from)",
            cancellationToken, ("@id", key.Id), ("@name", key.Name), ("@hash", key.Hash), ("@prefix", key.Prefix), ("@owner", key.Owner), ("@team", key.Team),
            ("@role", key.Role is { } role ? AdminRoles.Name(role) : null),
            ("@routes", JsonSerializer.Serialize(key.Routes.ToList(), AccessJsonContext.Default.ListString)),
            ("@metadata", key.Metadata.Count == 0 ? null : JsonSerializer.Serialize(new Dictionary<string, string>(key.Metadata), AccessJsonContext.Default.DictionaryStringString)),
            ("@created", Micros(key.CreatedAt)), ("@expires", Micros(key.ExpiresAt)), ("@revoked", Micros(key.RevokedAt)), ("@from", key.RotatedFrom));

    private static async Task<VirtualKey?> ReadKeyAsync(DbConnection c, DbTransaction? tx, string id, CancellationToken cancellationToken) =>
        (await Sql.QueryAsync(c, tx, "SELECT " + KeyColumns + " FROM tandem_key WHERE id = @id", cancellationToken, ReadKey, ("@id", id)).ConfigureAwait(false)).SingleOrDefault();

    /// <inheritdoc />
    public Task CreateAsync(VirtualKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return InTransactionAsync(async (c, tx) =>
        {
            await InsertKeyAsync(c, tx, key, cancellationToken).ConfigureAwait(false);
            return await BumpAsync(c, tx, ChangeSignalNames.Keys, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<VirtualKey?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return WithConnectionAsync(c => ReadKeyAsync(c, null, id, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<VirtualKey>> ListAsync(bool includeRevoked, CancellationToken cancellationToken = default) =>
        WithConnectionAsync<IReadOnlyList<VirtualKey>>(async c => await Sql.QueryAsync(c,
            "SELECT " + KeyColumns + " FROM tandem_key" + (includeRevoked ? "" : " WHERE revoked_at IS NULL") + " ORDER BY created_at, id",
            cancellationToken, ReadKey).ConfigureAwait(false), cancellationToken);

    /// <inheritdoc />
    public Task<VirtualKey?> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return InTransactionAsync(async (c, tx) =>
        {
            if (await Sql.ExecuteAsync(c, tx, "UPDATE tandem_key SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL", cancellationToken,
                ("@at", Micros(at)), ("@id", id)).ConfigureAwait(false) == 1)
            {
                await BumpAsync(c, tx, ChangeSignalNames.Keys, cancellationToken).ConfigureAwait(false);
            }

            return await ReadKeyAsync(c, tx, id, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<VirtualKey?> RotateAsync(string id, VirtualKey replacement, DateTimeOffset oldEndsAt, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(replacement);
        return InTransactionAsync(async (c, tx) =>
        {
            // Ending the old key first, conditionally, makes two concurrent rotations of one key produce one replacement.
            var ended = oldEndsAt <= now
                ? await Sql.ExecuteAsync(c, tx, "UPDATE tandem_key SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL", cancellationToken,
                    ("@at", Micros(now)), ("@id", id)).ConfigureAwait(false)
                : await Sql.ExecuteAsync(c, tx, "UPDATE tandem_key SET expires_at = CASE WHEN expires_at IS NOT NULL AND expires_at < @at THEN expires_at ELSE @at END " +
                    "WHERE id = @id AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now)", cancellationToken,
                    ("@at", Micros(oldEndsAt)), ("@now", Micros(now)), ("@id", id)).ConfigureAwait(false);
            if (ended != 1)
            {
                return null;
            }

            await InsertKeyAsync(c, tx, replacement with { RotatedFrom = id }, cancellationToken).ConfigureAwait(false);
            await BumpAsync(c, tx, ChangeSignalNames.Keys, cancellationToken).ConfigureAwait(false);
            return await ReadKeyAsync(c, tx, id, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<long> BumpAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var value = await WithConnectionAsync(c => BumpAsync(c, null, name, cancellationToken), cancellationToken).ConfigureAwait(false)
            ?? throw new ArgumentException($"unknown change signal '{name}'", nameof(name));
        return Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, long>> ReadAsync(CancellationToken cancellationToken = default) =>
        WithConnectionAsync<IReadOnlyDictionary<string, long>>(async c => (await Sql.QueryAsync(c, "SELECT name, version FROM tandem_signal", cancellationToken,
            r => (Name: r.GetString(0), Version: L(r, 1))).ConfigureAwait(false)).ToDictionary(x => x.Name, x => x.Version, StringComparer.Ordinal), cancellationToken);

    /// <inheritdoc />
    public Task<AuditEntry> AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return WithConnectionAsync(async c =>
        {
            var id = await Sql.ScalarAsync(c, null,
                "INSERT INTO tandem_audit (time, actor, actor_key_id, action, object, before, after, status, request_id) " +
                "VALUES (@time, @actor, @keyId, @action, @object, @before, @after, @status, @request) RETURNING id", cancellationToken,
                ("@time", Micros(entry.Time)), ("@actor", entry.Actor), ("@keyId", entry.ActorKeyId), ("@action", entry.Action), ("@object", entry.Object),
                ("@before", entry.Before), ("@after", entry.After), ("@status", entry.Status), ("@request", entry.RequestId)).ConfigureAwait(false);
            return entry with { Id = Convert.ToInt64(id, CultureInfo.InvariantCulture) };
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = new StringBuilder("SELECT ").Append(AuditColumns).Append(" FROM tandem_audit WHERE 1 = 1");
        var parameters = new List<(string, object?)>();
        void Filter(string clause, string name, object? value)
        {
            if (value is not null)
            {
                sql.Append(" AND ").Append(clause);
                parameters.Add((name, value));
            }
        }

        Filter("time >= @since", "@since", Micros(query.Since));
        Filter("time < @until", "@until", Micros(query.Until));
        Filter("actor = @actor", "@actor", query.Actor);
        Filter("object = @object", "@object", query.Object);
        Filter("id < @before", "@before", query.Before);
        sql.Append(" ORDER BY id DESC LIMIT @limit");
        parameters.Add(("@limit", Math.Clamp(query.Limit, 1, 1000)));
        return WithConnectionAsync<IReadOnlyList<AuditEntry>>(async c => await Sql.QueryAsync(c, sql.ToString(), cancellationToken, ReadAudit, [.. parameters]).ConfigureAwait(false), cancellationToken);
    }

    private static VirtualKey ReadKey(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        Hash = r.GetString(2),
        Prefix = r.GetString(3),
        Owner = Str(r, 4),
        Team = Str(r, 5),
        Role = AdminRoles.TryParse(Str(r, 6), out var role) ? role : null,
        Routes = JsonSerializer.Deserialize(r.GetString(7), AccessJsonContext.Default.ListString) ?? ["*"],
        Metadata = Str(r, 8) is { } m ? JsonSerializer.Deserialize(m, AccessJsonContext.Default.DictionaryStringString) ?? [] : new Dictionary<string, string>(),
        CreatedAt = FromMicros(L(r, 9)),
        ExpiresAt = Time(r, 10),
        RevokedAt = Time(r, 11),
        RotatedFrom = Str(r, 12),
    };

    private static AuditEntry ReadAudit(DbDataReader r) => new()
    {
        Id = L(r, 0),
        Time = FromMicros(L(r, 1)),
        Actor = r.GetString(2),
        ActorKeyId = Str(r, 3),
        Action = r.GetString(4),
        Object = Str(r, 5),
        Before = Str(r, 6),
        After = Str(r, 7),
        Status = (int)L(r, 8),
        RequestId = Str(r, 9),
    };
}
