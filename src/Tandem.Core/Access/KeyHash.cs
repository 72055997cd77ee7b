using System.Security.Cryptography;
using System.Text;

namespace Tandem.Access;

/// <summary>A SHA-256 as four words: a cheap dictionary key for looking a presented key up by its hash.</summary>
internal readonly record struct KeyHash(ulong A, ulong B, ulong C, ulong D)
{
    public KeyHash(ReadOnlySpan<byte> h)
        : this(BitConverter.ToUInt64(h), BitConverter.ToUInt64(h[8..]), BitConverter.ToUInt64(h[16..]), BitConverter.ToUInt64(h[24..]))
    {
    }

    /// <summary>The longest key looked up; longer ones are refused without hashing.</summary>
    public const int MaxKeyLength = 512;

    /// <summary>SHA-256 of the UTF-8 of <paramref name="presented"/> (at most <see cref="MaxKeyLength"/> characters).</summary>
    public static void Compute(ReadOnlySpan<char> presented, Span<byte> hash)
    {
        Span<byte> utf8 = stackalloc byte[MaxKeyLength * 3];
        var n = Encoding.UTF8.GetBytes(presented, utf8);
        SHA256.HashData(utf8[..n], hash);
    }
}
