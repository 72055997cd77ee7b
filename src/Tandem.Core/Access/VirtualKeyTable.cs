using System.Collections.Frozen;
using System.Security.Cryptography;
using Tandem.Runtime;

namespace Tandem.Access;

/// <summary>
/// The active virtual keys of one instance, in memory: the hot path looks a presented key up here, never in the
/// database. The whole table is an immutable snapshot swapped atomically; it is refreshed from storage when the
/// shared <c>keys</c> change counter moves (polled every <c>server.sync_interval</c>, 2 s by default), and changed at
/// once on the instance that made a change. A revocation is therefore effective at once where it was made and within
/// one sync interval (plus the poll's own query time) on every other instance.
/// </summary>
public sealed class VirtualKeyTable
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    // Changes this instance applied, by id, with the order they were applied in. A refresh whose read began before a
    // change was applied may not include it (the read can precede the commit); such changes are laid over the keys
    // read, so a fresh key never vanishes and a revoked one never comes back on the instance that made the change.
    private readonly Dictionary<string, (VirtualKey Key, long Order)> _applied = new(StringComparer.Ordinal);
    private long _order;
    private Snapshot _current = Snapshot.Empty;

    /// <summary>Creates an empty table.</summary>
    public VirtualKeyTable(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Active keys held (API and admin keys).</summary>
    public int Count => Volatile.Read(ref _current).ById.Count;

    /// <summary>Whether the table has been loaded from storage at least once.</summary>
    public bool Loaded => Volatile.Read(ref _current).Loaded;

    /// <summary>Marks the start of a read from storage; pass the mark to <see cref="Load(IEnumerable{VirtualKey}, long)"/>.</summary>
    public long BeginRead()
    {
        lock (_gate)
        {
            return _order;
        }
    }

    /// <summary>Replaces the table with keys read from storage after every change applied so far.</summary>
    public void Load(IEnumerable<VirtualKey> keys) => Load(keys, BeginRead());

    /// <summary>
    /// Replaces the table with the keys read from storage by a read that began at <paramref name="readMark"/> (see
    /// <see cref="BeginRead"/>); changes applied after that mark are kept over what was read. Revoked and expired
    /// keys are left out.
    /// </summary>
    public void Load(IEnumerable<VirtualKey> keys, long readMark)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var byId = new Dictionary<string, VirtualKey>(StringComparer.Ordinal);
            foreach (var k in keys)
            {
                byId[k.Id] = k;
            }

            foreach (var (id, (key, order)) in _applied.ToList())
            {
                if (order <= readMark)
                {
                    // Applied after its commit and before the read began: the read saw it.
                    _applied.Remove(id);
                }
                else
                {
                    byId[id] = key;
                }
            }

            Volatile.Write(ref _current, Snapshot.Of([.. byId.Values.Where(k => k.IsActiveAt(now))], loaded: true));
        }
    }

    /// <summary>Applies one key's new state, made by this instance and committed to storage (created, rotated, revoked): in force at once.</summary>
    public void Apply(VirtualKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            _applied[key.Id] = (key, ++_order);
            var current = Volatile.Read(ref _current);
            var keys = current.ById.Values.Where(k => k.Id != key.Id).ToList();
            if (key.IsActiveAt(_time.GetUtcNow()))
            {
                keys.Add(key);
            }

            Volatile.Write(ref _current, Snapshot.Of(keys, current.Loaded));
        }
    }

    /// <summary>The active key with this id, if any.</summary>
    public VirtualKey? Get(string id) => Volatile.Read(ref _current).ById.GetValueOrDefault(id);

    /// <summary>
    /// The key whose SHA-256 is <paramref name="hash"/>: an API key when <paramref name="admin"/> is false, an admin
    /// key (one with a role) when true; null when there is none or it has expired.
    /// </summary>
    internal GatewayKey? Find(ReadOnlySpan<byte> hash, bool admin)
    {
        var snapshot = Volatile.Read(ref _current);
        if (snapshot.ByHash.Count == 0 || !snapshot.ByHash.TryGetValue(new KeyHash(hash), out var key)
            || !CryptographicOperations.FixedTimeEquals(hash, key.Hash) || admin != key.Role.HasValue)
        {
            return null;
        }

        return key.ExpiresAt is { } expires && _time.GetUtcNow() >= expires ? null : key;
    }

    private sealed class Snapshot
    {
        public static readonly Snapshot Empty = new(FrozenDictionary<KeyHash, GatewayKey>.Empty, FrozenDictionary<string, VirtualKey>.Empty, loaded: false);

        private Snapshot(FrozenDictionary<KeyHash, GatewayKey> byHash, FrozenDictionary<string, VirtualKey> byId, bool loaded)
        {
            ByHash = byHash;
            ById = byId;
            Loaded = loaded;
        }

        public FrozenDictionary<KeyHash, GatewayKey> ByHash { get; }

        public FrozenDictionary<string, VirtualKey> ById { get; }

        public bool Loaded { get; }

        public static Snapshot Of(IReadOnlyCollection<VirtualKey> keys, bool loaded)
        {
            var byHash = new Dictionary<KeyHash, GatewayKey>(keys.Count);
            foreach (var k in keys)
            {
                var hash = Convert.FromHexString(k.Hash);
                byHash[new KeyHash(hash)] = new GatewayKey(k.Name, hash, k.Routes, k.Id, k.Team, k.Owner, k.Role, k.ExpiresAt);
            }

            return new Snapshot(byHash.ToFrozenDictionary(), keys.ToFrozenDictionary(k => k.Id, StringComparer.Ordinal), loaded);
        }
    }
}
