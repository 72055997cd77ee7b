namespace Tandem.Access;

/// <summary>
/// The append-only log of admin actions and key lifecycle. Nothing in Tandem updates or deletes an entry (on
/// PostgreSQL and SQLite a trigger refuses it too).
/// </summary>
public interface IAuditLog
{
    /// <summary>Appends an entry; returns it with its id.</summary>
    Task<AuditEntry> AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Entries matching <paramref name="query"/>, newest first.</summary>
    Task<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);
}

/// <summary>One admin action: who did what to which object, with the object's state before and after (JSON).</summary>
public sealed record AuditEntry
{
    /// <summary>Assigned by the log, ascending.</summary>
    public long Id { get; init; }

    /// <summary>When the action was taken.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The name of the key that acted (<c>admin</c> for the configuration's admin key).</summary>
    public required string Actor { get; init; }

    /// <summary>The id of the virtual key that acted; null for the configuration's admin key.</summary>
    public string? ActorKeyId { get; init; }

    /// <summary>What was done, e.g. <c>key.create</c>, <c>migration.advance</c>, <c>config.reload</c>.</summary>
    public required string Action { get; init; }

    /// <summary>What it was done to, e.g. <c>key:vk_0123456789abcdef</c>, <c>route:chat</c>; null when nothing in particular.</summary>
    public string? Object { get; init; }

    /// <summary>The object's state before, as JSON; null when it did not exist or has no state.</summary>
    public string? Before { get; init; }

    /// <summary>The object's state after, as JSON.</summary>
    public string? After { get; init; }

    /// <summary>The HTTP status the action answered (200, 403, 409…).</summary>
    public int Status { get; init; }

    /// <summary>The request id (<c>x-request-id</c>) of the admin call.</summary>
    public string? RequestId { get; init; }
}

/// <summary>Filters of <see cref="IAuditLog.QueryAsync"/>; every one is optional.</summary>
public sealed record AuditQuery
{
    /// <summary>Entries at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Entries before this time.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Entries by this actor (key name).</summary>
    public string? Actor { get; init; }

    /// <summary>Entries on this object (<c>key:vk_…</c>, <c>route:chat</c>).</summary>
    public string? Object { get; init; }

    /// <summary>Entries with ids below this one (the next page).</summary>
    public long? Before { get; init; }

    /// <summary>At most this many entries (1 to 1000).</summary>
    public int Limit { get; init; } = 100;
}
