using System.Security.Cryptography;
using System.Text;
using Tandem.Configuration;

namespace Tandem.Runtime;

/// <summary>A gateway API key as Tandem keeps it: a name, a SHA-256 and the routes it may use. Never the key.</summary>
public sealed class GatewayKey
{
    internal GatewayKey(string name, byte[] hash, IReadOnlyList<string> routes, string? team = null)
    {
        Name = name;
        Team = team;
        Hash = hash;
        AllowsAll = routes.Contains("*");
        Allowed = new HashSet<string>(routes, StringComparer.Ordinal);
    }

    /// <summary>The key's configured name.</summary>
    public string Name { get; }

    /// <summary>The team the key belongs to, for team budgets and limits; null: none.</summary>
    public string? Team { get; }

    internal byte[] Hash { get; }

    /// <summary>Whether the key may use every route and deployment.</summary>
    public bool AllowsAll { get; }

    internal HashSet<string> Allowed { get; }

    /// <summary>Whether the key may use the named route or deployment.</summary>
    public bool MayUse(string name) => AllowsAll || Allowed.Contains(name);

    /// <summary>The key used when authentication is disabled.</summary>
    public static GatewayKey Anonymous { get; } = new("anonymous", new byte[32], ["*"]);
}

/// <summary>
/// The accepted keys, held as SHA-256 hashes. A presented key is hashed, looked up by its hash, and the stored
/// hash compared in constant time, so neither the file nor memory holds a usable key.
/// </summary>
public sealed class KeyRing
{
    private readonly Dictionary<HashKey, GatewayKey> _byHash = [];
    private readonly List<string> _secrets = [];

    internal KeyRing(AuthConfig auth)
    {
        Disabled = auth.Disabled;
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

            _byHash[new HashKey(hash)] = new GatewayKey(k.Name, hash, k.Routes, k.Team);
        }

        AdminHash = auth.AdminKeySha256 is not null
            ? Convert.FromHexString(auth.AdminKeySha256)
            : auth.AdminKeyEnv is not null && Environment.GetEnvironmentVariable(auth.AdminKeyEnv) is { Length: > 0 } admin
                ? SHA256.HashData(Encoding.UTF8.GetBytes(admin))
                : null;
        if (auth.AdminKeyEnv is not null && Environment.GetEnvironmentVariable(auth.AdminKeyEnv) is { Length: > 0 } adminKey)
        {
            _secrets.Add(adminKey);
        }
    }

    /// <summary>Keys known in clear text at load (from the environment or the file), for scrubbing upstream text; never exposed elsewhere.</summary>
    internal IReadOnlyList<string> Secrets => _secrets;

    /// <summary>Whether requests need no key.</summary>
    public bool Disabled { get; }

    private byte[]? AdminHash { get; }

    /// <summary>Whether an admin key is configured.</summary>
    public bool HasAdminKey => AdminHash is not null;

    /// <summary>Finds the key matching <paramref name="presented"/>.</summary>
    public GatewayKey? Authenticate(ReadOnlySpan<char> presented)
    {
        if (Disabled)
        {
            return GatewayKey.Anonymous;
        }

        if (presented.IsEmpty || presented.Length > 512)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[32];
        HashOf(presented, hash);
        if (_byHash.TryGetValue(new HashKey(hash), out var key) && CryptographicOperations.FixedTimeEquals(hash, key.Hash))
        {
            return key;
        }

        return null;
    }

    /// <summary>Whether <paramref name="presented"/> is the admin key.</summary>
    public bool IsAdmin(ReadOnlySpan<char> presented)
    {
        if (AdminHash is null || presented.IsEmpty || presented.Length > 512)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[32];
        HashOf(presented, hash);
        return CryptographicOperations.FixedTimeEquals(hash, AdminHash);
    }

    /// <summary>Hex SHA-256 of a key, for writing <c>key_sha256</c> into a configuration.</summary>
    public static string HashHex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static void HashOf(ReadOnlySpan<char> presented, Span<byte> hash)
    {
        Span<byte> utf8 = stackalloc byte[1536];
        var n = Encoding.UTF8.GetBytes(presented, utf8);
        SHA256.HashData(utf8[..n], hash);
    }

    private readonly record struct HashKey(ulong A, ulong B, ulong C, ulong D)
    {
        public HashKey(ReadOnlySpan<byte> h)
            : this(BitConverter.ToUInt64(h), BitConverter.ToUInt64(h[8..]), BitConverter.ToUInt64(h[16..]), BitConverter.ToUInt64(h[24..]))
        {
        }
    }
}
