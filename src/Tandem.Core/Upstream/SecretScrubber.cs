using System.Text;

namespace Tandem.Upstream;

/// <summary>
/// Removes every configured secret (upstream credentials, gateway keys read from the environment) from upstream text
/// that Tandem embeds in its own errors or relays to a client: an upstream that echoes the key it was given must not
/// hand it to Tandem's clients.
/// </summary>
public sealed class SecretScrubber
{
    /// <summary>What a secret becomes.</summary>
    public const string Mask = "[redacted]";

    private static readonly byte[] MaskBytes = Encoding.UTF8.GetBytes(Mask);
    private readonly string[] _secrets;
    private readonly byte[][] _secretBytes;

    /// <summary>Creates a scrubber for <paramref name="secrets"/> (values shorter than 8 characters are ignored: too likely to be ordinary text).</summary>
    public SecretScrubber(IEnumerable<string?> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _secrets = secrets.OfType<string>().Where(s => s.Length >= 8).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length).ToArray();
        _secretBytes = _secrets.Select(Encoding.UTF8.GetBytes).ToArray();
    }

    /// <summary>A scrubber that knows no secret.</summary>
    public static SecretScrubber None { get; } = new([]);

    /// <summary>Whether there is anything to scrub.</summary>
    public bool IsEmpty => _secrets.Length == 0;

    /// <summary><paramref name="text"/> with every secret replaced by <see cref="Mask"/>.</summary>
    public string Scrub(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var s in _secrets)
        {
            if (text.Contains(s, StringComparison.Ordinal))
            {
                text = text.Replace(s, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary><paramref name="bytes"/> (UTF-8) with every secret replaced; the same array when none occurs.</summary>
    public byte[] Scrub(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return Contains(bytes) ? Replace(bytes) : bytes;
    }

    /// <summary>Whether any secret occurs in <paramref name="bytes"/>.</summary>
    public bool Contains(ReadOnlySpan<byte> bytes)
    {
        foreach (var s in _secretBytes)
        {
            if (bytes.IndexOf(s) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A copy of <paramref name="bytes"/> with every secret replaced.</summary>
    public byte[] Replace(ReadOnlySpan<byte> bytes)
    {
        var result = bytes.ToArray();
        foreach (var s in _secretBytes)
        {
            int i;
            while ((i = result.AsSpan().IndexOf(s)) >= 0)
            {
                result = [.. result.AsSpan(0, i), .. MaskBytes, .. result.AsSpan(i + s.Length)];
            }
        }

        return result;
    }
}
