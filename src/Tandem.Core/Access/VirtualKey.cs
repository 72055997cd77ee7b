namespace Tandem.Access;

/// <summary>
/// A key created through the admin API and kept in the database: never the key itself, only its SHA-256. A key with
/// a <see cref="Role"/> opens the admin API and nothing else; a key without one calls the OpenAI API.
/// </summary>
public sealed record VirtualKey
{
    /// <summary>Stable id (<c>vk_</c> and 16 hex digits), what the admin API and the audit log name.</summary>
    public required string Id { get; init; }

    /// <summary>Name used in records, metrics and limits (need not be unique: a rotation keeps the name).</summary>
    public required string Name { get; init; }

    /// <summary>SHA-256 of the key, 64 lower-case hex digits.</summary>
    public required string Hash { get; init; }

    /// <summary>The first characters of the key (<c>tdm-AbCd</c>), to recognise it in lists; too short to guess from.</summary>
    public required string Prefix { get; init; }

    /// <summary>Who the key belongs to (a person or an app), free text.</summary>
    public string? Owner { get; init; }

    /// <summary>The team the key's usage is counted under (budgets per team).</summary>
    public string? Team { get; init; }

    /// <summary>The admin role of an admin key; null for an API key.</summary>
    public AdminRole? Role { get; init; }

    /// <summary>Routes and deployments the key may use; <c>*</c> means all.</summary>
    public IReadOnlyList<string> Routes { get; init; } = ["*"];

    /// <summary>Free-form labels.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>When the key was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the key stops working by itself; null: never.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When the key was revoked; null while it is not.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>The key this one replaced by rotation.</summary>
    public string? RotatedFrom { get; init; }

    /// <summary>Whether the key works at <paramref name="now"/>: not revoked and not expired.</summary>
    public bool IsActiveAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is not { } e || now < e);
}
