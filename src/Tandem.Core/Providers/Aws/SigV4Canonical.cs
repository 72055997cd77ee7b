using System.Text;

namespace Tandem.Providers.Aws;

/// <summary>
/// The canonical forms of AWS Signature Version 4: path, query string and headers, as the AWS signing test suites
/// define them (<c>test/TestData/aws-sig-v4-test-suite</c>, <c>test/TestData/aws-c-auth-signing</c>).
/// </summary>
internal static class SigV4Canonical
{
    private static ReadOnlySpan<byte> Hex => "0123456789ABCDEF"u8;

    /// <summary>
    /// The canonical URI: the path as sent on the wire, its dot segments and repeated slashes removed when
    /// <paramref name="normalize"/> (every service but S3), then URI-encoded once more — every byte but the
    /// unreserved characters and <c>/</c>, so a <c>%3A</c> on the wire is signed as <c>%253A</c>, as AWS expects.
    /// </summary>
    public static void AppendPath(StringBuilder sb, string path, bool normalize)
    {
        if (path.Length == 0)
        {
            sb.Append('/');
            return;
        }

        if (normalize)
        {
            path = Normalize(path);
        }

        AppendEncoded(sb, path, keepSlash: true);
    }

    /// <summary>Removes <c>.</c> and <c>..</c> segments and empty segments; keeps a trailing slash.</summary>
    internal static string Normalize(string path)
    {
        if (path.StartsWith('/') && !path.Contains("//", StringComparison.Ordinal) && !path.Contains("/.", StringComparison.Ordinal))
        {
            // Nothing to remove (every path Tandem itself sends).
            return path;
        }

        var segments = path.Split('/');
        var kept = new List<string>(segments.Length);
        foreach (var segment in segments)
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (kept.Count > 0)
                {
                    kept.RemoveAt(kept.Count - 1);
                }

                continue;
            }

            kept.Add(segment);
        }

        if (kept.Count == 0)
        {
            return "/";
        }

        var trailing = path.EndsWith('/') || path.EndsWith("/.", StringComparison.Ordinal) || path.EndsWith("/..", StringComparison.Ordinal);
        return "/" + string.Join('/', kept) + (trailing ? "/" : "");
    }

    /// <summary>
    /// The canonical query string: each parameter decoded and encoded again (so raw and percent-encoded forms sign
    /// alike), sorted by encoded name, then by encoded value.
    /// </summary>
    public static void AppendQuery(StringBuilder sb, string query, IReadOnlyList<KeyValuePair<string, string>>? extra = null)
    {
        if (query.Length == 0 && (extra is null || extra.Count == 0))
        {
            return;
        }

        var pairs = new List<(string Name, string Value)>();
        foreach (var part in query.Split('&'))
        {
            if (part.Length == 0)
            {
                continue;
            }

            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            pairs.Add((Encode(Uri.UnescapeDataString(name)), Encode(Uri.UnescapeDataString(value))));
        }

        if (extra is not null)
        {
            foreach (var (name, value) in extra)
            {
                pairs.Add((Encode(name), Encode(value)));
            }
        }

        pairs.Sort(static (a, b) =>
        {
            var c = string.CompareOrdinal(a.Name, b.Name);
            return c != 0 ? c : string.CompareOrdinal(a.Value, b.Value);
        });
        for (var i = 0; i < pairs.Count; i++)
        {
            if (i > 0)
            {
                sb.Append('&');
            }

            sb.Append(pairs[i].Name).Append('=').Append(pairs[i].Value);
        }
    }

    /// <summary>
    /// The canonical headers (lower-case names, sorted; values trimmed with runs of white space made one space;
    /// repeated headers joined by commas in the order sent), each followed by a new line; returns the signed-headers
    /// list (<c>host;x-amz-date</c>).
    /// </summary>
    public static string AppendHeaders(StringBuilder sb, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        // Sorted by name, then by position, so that repeated headers keep the order they were sent in.
        var order = new (string Name, int Index)[headers.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = (headers[i].Key.Trim().ToLowerInvariant(), i);
        }

        Array.Sort(order, static (a, b) =>
        {
            var c = string.CompareOrdinal(a.Name, b.Name);
            return c != 0 ? c : a.Index.CompareTo(b.Index);
        });
        var signed = new StringBuilder(order.Length * 16);
        for (var i = 0; i < order.Length; i++)
        {
            var (name, index) = order[i];
            if (i > 0 && order[i - 1].Name == name)
            {
                sb.Append(',');
            }
            else
            {
                if (i > 0)
                {
                    sb.Append('\n');
                    signed.Append(';');
                }

                sb.Append(name).Append(':');
                signed.Append(name);
            }

            AppendTrimmed(sb, headers[index].Value);
        }

        if (order.Length > 0)
        {
            sb.Append('\n');
        }

        return signed.ToString();
    }

    /// <summary>URI-encodes <paramref name="value"/> (UTF-8): unreserved characters as they are, all else <c>%XY</c>.</summary>
    public static string Encode(string value)
    {
        foreach (var c in value)
        {
            if (!IsUnreserved(c))
            {
                var sb = new StringBuilder(value.Length + 16);
                AppendEncoded(sb, value, keepSlash: false);
                return sb.ToString();
            }
        }

        return value;
    }

    private static void AppendEncoded(StringBuilder sb, string value, bool keepSlash)
    {
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (IsUnreserved(c) || (keepSlash && c == '/'))
            {
                sb.Append(c);
                continue;
            }

            int n;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                n = Encoding.UTF8.GetBytes(value.AsSpan(i, 2), utf8);
                i++;
            }
            else
            {
                n = Encoding.UTF8.GetBytes(value.AsSpan(i, 1), utf8);
            }

            for (var j = 0; j < n; j++)
            {
                sb.Append('%').Append((char)Hex[utf8[j] >> 4]).Append((char)Hex[utf8[j] & 0xF]);
            }
        }
    }

    private static bool IsUnreserved(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.' or '_' or '~';

    /// <summary>Appends <paramref name="value"/> without leading and trailing white space, runs of it made one space.</summary>
    private static void AppendTrimmed(StringBuilder sb, string value)
    {
        var span = value.AsSpan().Trim();
        var space = false;
        foreach (var c in span)
        {
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                space = true;
                continue;
            }

            if (space)
            {
                sb.Append(' ');
                space = false;
            }

            sb.Append(c);
        }
    }
}
