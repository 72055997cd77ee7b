using System.Buffers.Text;
using System.Security.Cryptography;

namespace Tandem.Access;

/// <summary>New virtual keys: a high-entropy secret shown once, its SHA-256, its display prefix and an id.</summary>
public static class KeySecrets
{
    /// <summary>What every virtual key starts with, so that scanners and people recognise one.</summary>
    public const string Prefix = "tdm-";

    /// <summary>
    /// A new key: <c>tdm-</c> and 43 base64url characters (256 random bits from the OS generator), its SHA-256 in hex,
    /// the first 8 characters for display, and an id (<c>vk_</c> and 64 random bits in hex).
    /// </summary>
    public static (string Secret, string Hash, string Display, string Id) Create()
    {
        Span<byte> random = stackalloc byte[32];
        RandomNumberGenerator.Fill(random);
        var secret = Prefix + Base64Url.EncodeToString(random);
        var id = "vk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        return (secret, Runtime.KeyRing.HashHex(secret), secret[..8], id);
    }
}
