namespace Tandem.Access;

/// <summary>
/// Where virtual keys are kept. Every change also advances the <c>keys</c> change counter in the same transaction,
/// so that other instances see that they must re-read (<see cref="IChangeSignals"/>).
/// </summary>
public interface IKeyStore
{
    /// <summary>Stores a new key.</summary>
    Task CreateAsync(VirtualKey key, CancellationToken cancellationToken = default);

    /// <summary>One key by id, revoked or not; null when unknown.</summary>
    Task<VirtualKey?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Keys by creation time; revoked ones too when <paramref name="includeRevoked"/>.</summary>
    Task<IReadOnlyList<VirtualKey>> ListAsync(bool includeRevoked, CancellationToken cancellationToken = default);

    /// <summary>Marks a key revoked at <paramref name="at"/>; the key as it now is, or null when unknown. Revoking twice keeps the first time.</summary>
    Task<VirtualKey?> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// In one transaction: stores <paramref name="replacement"/> and ends the old key at <paramref name="oldEndsAt"/>
    /// (revoked when that is now, else expiring then, for a grace period). Null when the old key is unknown or revoked.
    /// </summary>
    Task<VirtualKey?> RotateAsync(string id, VirtualKey replacement, DateTimeOffset oldEndsAt, DateTimeOffset now, CancellationToken cancellationToken = default);
}

/// <summary>
/// Change counters shared by every instance on one database (<c>keys</c>, <c>config</c>): an instance that sees a
/// counter move re-reads what it stands for. One small query per poll, whatever the number of keys.
/// </summary>
public interface IChangeSignals
{
    /// <summary>Advances a counter and returns its new value.</summary>
    Task<long> BumpAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every counter.</summary>
    Task<IReadOnlyDictionary<string, long>> ReadAsync(CancellationToken cancellationToken = default);
}

/// <summary>The names of <see cref="IChangeSignals"/> counters.</summary>
public static class ChangeSignalNames
{
    /// <summary>Virtual keys were created, rotated or revoked.</summary>
    public const string Keys = "keys";

    /// <summary>An instance reloaded its configuration through the admin API.</summary>
    public const string Config = "config";
}
