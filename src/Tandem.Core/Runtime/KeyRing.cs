using System.Security.Cryptography;
using System.Text;
using Tandem.Access;
using Tandem.Configuration;

namespace Tandem.Runtime;

/// <summary>
/// A gateway key as Tandem keeps it: a name, a SHA-256, the routes it may use and, for a virtual key, its id, owner,
/// team, admin role and expiry. Never the key.
/// </summary>
public sealed class GatewayKey
{
    internal GatewayKey(string name, byte[] hash, IReadOnlyList<string> routes, string? id = null, string? team = null, string? owner = null,
        AdminRole? role = null, DateTimeOffset? expiresAt = null)
    {
        Name = name;
        Hash = hash;
        AllowsAll = routes.Contains("*");
        Allowed = new HashSet<string>(routes, StringComparer.Ordinal);
        Id = id;
        Team = team;
        Owner = owner;
        Role = role;
        ExpiresAt = expiresAt;
    }

    /// <summary>The key's name (configured, or given at creation for a virtual key).</summary>
    public string Name { get; }

    /// <summary>The virtual key's id (<c>vk_…</c>); null for a key from the configuration file.</summary>
    public string? Id { get; }

    /// <summary>The team the key belongs to (configuration <c>team</c>, or the virtual key's team); null when none.</summary>
    public string? Team { get; }

    /// <summary>The virtual key's owner; null for a key from the configuration file.</summary>
    public string? Owner { get; }

    /// <summary>The admin role of an admin key; null for an API key.</summary>
    public AdminRole? Role { get; }

    /// <summary>When the key stops working; null: never.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    internal byte[] Hash { get; }

    /// <summary>Whether the key may use every route and deployment.</summary>
    public bool AllowsAll { get; }

    internal HashSet<string> Allowed { get; }

    /// <summary>Whether the key may use the named route or deployment.</summary>
    public bool MayUse(string name) => AllowsAll || Allowed.Contains(name);

    /// <summary>The key used when authentication is disabled.</summary>
    public static GatewayKey Anonymous { get; } = new("anonymous", new byte[32], ["*"]);

    /// <summary>A signed-in dashboard session reading the admin API (GET only: its changes go through the dashboard's CSRF-checked API).</summary>
    public static GatewayKey DashboardReader { get; } = new("dashboard", new byte[32], [], role: AdminRole.Viewer);
}

/// <summary>
/// The accepted keys, held as SHA-256 hashes. A presented key is hashed, looked up by its hash, and the stored
/// hash compared in constant time, so neither the file nor memory holds a usable key. Keys of the configuration
/// file come first; then the instance's <see cref="VirtualKeyTable"/> (keys made through the admin API), which
/// outlives configuration reloads.
/// </summary>
public sealed class KeyRing
{
    private const string AdminName = "admin";
    private readonly Dictionary<KeyHash, GatewayKey> _byHash = [];
    private readonly List<string> _secrets = [];
    private readonly VirtualKeyTable? _virtual;
    private readonly GatewayKey? _admin;

    internal KeyRing(AuthConfig auth, VirtualKeyTable? virtualKeys = null)
    {
        Disabled = auth.Disabled;
        _virtual = virtualKeys;
        foreach (var k in auth.Keys)
        {
            byte[] hash;
            if (k.KeySha256 is not null)
            {
                hash = Convert.FromHexString(k.KeySha256);
            }
            else
            {
                var secret = k.Key ?? Environment.GetEnvironmentVariable(k.KeyEnv!) ?? "";
                hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
                if (secret.Length > 0)
                {
                    _secrets.Add(secret);
                }
            }

            _byHash[new KeyHash(hash)] = new GatewayKey(k.Name, hash, k.Routes, team: k.Team);
        }

        var adminHash = auth.AdminKeySha256 is not null
            ? Convert.FromHexString(auth.AdminKeySha256)
            : auth.AdminKeyEnv is not null && Environment.GetEnvironmentVariable(auth.AdminKeyEnv) is { Length: > 0 } admin
                ? SHA256.HashData(Encoding.UTF8.GetBytes(admin))
                : null;
        _admin = adminHash is null ? null : new GatewayKey(AdminName, adminHash, [], role: AdminRole.Admin);
        if (auth.AdminKeyEnv is not null && Environment.GetEnvironmentVariable(auth.AdminKeyEnv) is { Length: > 0 } adminKey)
        {
            _secrets.Add(adminKey);
        }
    }

    /// <summary>Keys known in clear text at load (from the environment or the file), for scrubbing upstream text; never exposed elsewhere.</summary>
    internal IReadOnlyList<string> Secrets => _secrets;

    /// <summary>Whether requests need no key.</summary>
    public bool Disabled { get; }

    /// <summary>Whether an admin key is configured.</summary>
    public bool HasAdminKey => _admin is not null;

    /// <summary>Finds the API key matching <paramref name="presented"/> (configuration keys, then active virtual keys).</summary>
    public GatewayKey? Authenticate(ReadOnlySpan<char> presented)
    {
        if (Disabled)
        {
            return GatewayKey.Anonymous;
        }

        if (presented.IsEmpty || presented.Length > KeyHash.MaxKeyLength)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[32];
        KeyHash.Compute(presented, hash);
        if (_byHash.TryGetValue(new KeyHash(hash), out var key) && CryptographicOperations.FixedTimeEquals(hash, key.Hash))
        {
            return key;
        }

        return _virtual?.Find(hash, admin: false);
    }

    /// <summary>
    /// The admin key matching <paramref name="presented"/>, with its <see cref="GatewayKey.Role"/>: the configuration's
    /// admin key (named <c>admin</c>, role admin) or an active virtual admin key; null otherwise.
    /// </summary>
    public GatewayKey? AuthenticateAdmin(ReadOnlySpan<char> presented)
    {
        if (presented.IsEmpty || presented.Length > KeyHash.MaxKeyLength)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[32];
        KeyHash.Compute(presented, hash);
        if (_admin is not null && CryptographicOperations.FixedTimeEquals(hash, _admin.Hash))
        {
            return _admin;
        }

        return _virtual?.Find(hash, admin: true);
    }

    /// <summary>Whether <paramref name="presented"/> is an admin key with the role <c>admin</c>.</summary>
    public bool IsAdmin(ReadOnlySpan<char> presented) => AuthenticateAdmin(presented)?.Role == AdminRole.Admin;

    /// <summary>Hex SHA-256 of a key, for writing <c>key_sha256</c> into a configuration.</summary>
    public static string HashHex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
