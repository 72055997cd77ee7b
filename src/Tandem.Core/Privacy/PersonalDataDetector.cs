using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tandem.Configuration;

namespace Tandem.Privacy;

/// <summary>
/// The one vocabulary of personal data. Routing rules (<c>pii: [...]</c>) ask it which kinds a request holds, and
/// <c>capture: redacted</c> asks it to mask them, so both see exactly the same matches: a value that keeps a
/// request on-prem is the value masked in its record, and a value masked in the text routing reads would have kept
/// the request on-prem.
/// </summary>
/// <remarks>
/// <para>
/// Kinds claim text in order: a route's custom patterns (in the order configured), then
/// <see cref="PersonalDataKind.BuiltIn"/>. Each kind looks only at the text the kinds before it left, as if their
/// matches were already replaced by placeholders; so <c>123-45-6789</c> is a social security number and not also
/// a phone number, and <see cref="Detect"/> reports a kind exactly when <see cref="Mask"/> writes its placeholder.
/// </para>
/// <para>
/// Every regular expression runs with a 250 ms timeout. A pattern too slow to decide counts as a match, the safe side
/// for a data-residency rule: detection reports its kind, and masking replaces the whole stretch it was searching.
/// </para>
/// <para>
/// Detection allocates nothing beyond what the regular expression engine does: matches are kept on the stack.
/// </para>
/// </remarks>
public sealed class PersonalDataDetector
{
    /// <summary>The name that stands for every kind in a routing rule's <c>pii</c> list.</summary>
    public const string Any = "any";

    /// <summary>Most custom kinds one detector (one route) may have: kinds are bits of a 64-bit set, 7 are built in.</summary>
    public const int MaxCustomKinds = 64 - 7;

    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(BuiltInRecognizers.TimeoutMilliseconds);
    private static readonly ConditionalWeakTable<RouteConfig, PersonalDataDetector> Routes = new();

    private readonly PersonalDataKind[] _kinds;
    private readonly Recognizer[] _recognizers;
    private readonly string[] _placeholders;

    /// <summary>Creates a detector of the built-in kinds plus named custom patterns.</summary>
    /// <param name="customPatterns">Kind name → regular expression (.NET syntax, culture-invariant), in claim order.</param>
    /// <exception cref="ArgumentException">A name is empty, built in, <c>any</c> or repeated; a pattern does not compile; or there are more than <see cref="MaxCustomKinds"/>.</exception>
    public PersonalDataDetector(IEnumerable<KeyValuePair<string, string>>? customPatterns = null)
        : this(customPatterns, Timeout)
    {
    }

    internal PersonalDataDetector(IEnumerable<KeyValuePair<string, string>>? customPatterns, TimeSpan timeout)
    {
        var kinds = new List<PersonalDataKind>();
        var recognizers = new List<Recognizer>();
        foreach (var (name, pattern) in customPatterns ?? [])
        {
            if (string.IsNullOrWhiteSpace(name) || name == Any || PersonalDataKind.IsBuiltIn(name) || kinds.Exists(k => k.Name == name))
            {
                throw new ArgumentException($"'{name}' cannot name a custom kind: it is empty, built in, 'any' or repeated", nameof(customPatterns));
            }

            kinds.Add(new PersonalDataKind(name));
            recognizers.Add(new RegexRecognizer(new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, timeout)));
        }

        if (kinds.Count > MaxCustomKinds)
        {
            throw new ArgumentException($"at most {MaxCustomKinds} custom kinds", nameof(customPatterns));
        }

        kinds.AddRange(PersonalDataKind.BuiltIn);
        recognizers.AddRange(BuiltInRecognizers.All);
        _kinds = [.. kinds];
        _recognizers = [.. recognizers];
        _placeholders = [.. kinds.Select(k => "[" + k.Name + "]")];
        All = new PersonalDataKindSet(this, _kinds.Length == 64 ? ulong.MaxValue : (1UL << _kinds.Length) - 1);
    }

    /// <summary>The built-in kinds alone.</summary>
    public static PersonalDataDetector Default { get; } = new();

    /// <summary>The kinds, in claim order: custom ones first, then <see cref="PersonalDataKind.BuiltIn"/>.</summary>
    public IReadOnlyList<PersonalDataKind> Kinds => _kinds;

    /// <summary>Every kind of this detector (what <c>any</c> means).</summary>
    public PersonalDataKindSet All { get; }

    /// <summary>
    /// A route's vocabulary: the built-in kinds plus the route's <c>patterns</c> and those its rules declare under
    /// <c>when.patterns</c>. The same instance serves the route's routing rules and its captured records.
    /// </summary>
    /// <exception cref="ArgumentException">Two places name the same kind with different expressions, or a name is not allowed (configuration validation reports these first).</exception>
    public static PersonalDataDetector ForRoute(RouteConfig route)
    {
        ArgumentNullException.ThrowIfNull(route);

        // Looked up once per captured record: a hit allocates nothing.
        return Routes.GetValue(route, static r => PatternsOf(r) is { Count: > 0 } patterns ? new PersonalDataDetector(patterns) : Default);
    }

    /// <summary>A route's custom patterns: its own, then each rule's, once per name.</summary>
    /// <exception cref="ArgumentException">A name has two different expressions.</exception>
    internal static List<KeyValuePair<string, string>> PatternsOf(RouteConfig route)
    {
        var patterns = new List<KeyValuePair<string, string>>();
        foreach (var source in route.Rules.Select(r => r.When.Patterns).Prepend(route.Patterns))
        {
            foreach (var (name, pattern) in source ?? new Dictionary<string, string>())
            {
                var existing = patterns.FindIndex(p => p.Key == name);
                if (existing < 0)
                {
                    patterns.Add(new(name, pattern));
                }
                else if (patterns[existing].Value != pattern)
                {
                    throw new ArgumentException($"route '{route.Name}' defines pattern '{name}' twice with different expressions", nameof(route));
                }
            }
        }

        return patterns;
    }

    /// <summary>The set of the named kinds; <c>any</c> means <see cref="All"/>.</summary>
    /// <exception cref="ArgumentException">A name is not a kind of this detector.</exception>
    public PersonalDataKindSet KindsOf(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var bits = 0UL;
        foreach (var name in names)
        {
            var index = IndexOf(name);
            if (name == Any)
            {
                bits |= All.Bits;
            }
            else if (index >= 0)
            {
                bits |= 1UL << index;
            }
            else
            {
                throw new ArgumentException($"unknown personal-data kind '{name}'", nameof(names));
            }
        }

        return new PersonalDataKindSet(this, bits);
    }

    /// <summary>Which kinds occur in <paramref name="text"/> (never the matches themselves).</summary>
    public PersonalDataKindSet Detect(ReadOnlySpan<char> text)
    {
        var hits = new Hits(stackalloc Hit[16]);
        try
        {
            Scan(text, All.Bits, firstOnly: false, ref hits);
            var bits = 0UL;
            foreach (var h in hits.Items)
            {
                bits |= 1UL << h.Kind;
            }

            return new PersonalDataKindSet(this, bits);
        }
        finally
        {
            hits.Dispose();
        }
    }

    /// <summary>
    /// Whether any of <paramref name="kinds"/> occurs in <paramref name="text"/>: the same answer as
    /// <see cref="Detect"/>, but it stops at the first match of a wanted kind. A routing rule's check.
    /// </summary>
    public bool ContainsAny(ReadOnlySpan<char> text, PersonalDataKindSet kinds)
    {
        if (kinds.IsEmpty)
        {
            return false;
        }

        var hits = new Hits(stackalloc Hit[16]);
        try
        {
            return Scan(text, kinds.Bits, firstOnly: true, ref hits);
        }
        finally
        {
            hits.Dispose();
        }
    }

    /// <summary>
    /// <paramref name="text"/> with every match replaced by its kind's placeholder (<c>[email]</c>,
    /// <c>[employee_id]</c>); the same instance when nothing matched.
    /// </summary>
    public string Mask(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hits = new Hits(stackalloc Hit[16]);
        try
        {
            Scan(text, All.Bits, firstOnly: false, ref hits);
            if (hits.Count == 0)
            {
                return text;
            }

            var length = text.Length;
            foreach (var h in hits.Items)
            {
                length += _placeholders[h.Kind].Length - h.Length;
            }

            var buffer = ArrayPool<char>.Shared.Rent(length);
            var written = 0;
            var copied = 0;
            foreach (var h in hits.Items)
            {
                text.AsSpan(copied, h.Start - copied).CopyTo(buffer.AsSpan(written));
                written += h.Start - copied;
                _placeholders[h.Kind].CopyTo(buffer.AsSpan(written));
                written += _placeholders[h.Kind].Length;
                copied = h.End;
            }

            text.AsSpan(copied).CopyTo(buffer.AsSpan(written));
            var result = new string(buffer, 0, length);
            ArrayPool<char>.Shared.Return(buffer);
            return result;
        }
        finally
        {
            hits.Dispose();
        }
    }

    /// <summary>
    /// A JSON document (UTF-8) as text, with each string in it masked as by <see cref="Mask"/> and everything else
    /// kept byte for byte. Strings are masked unescaped, so <c>"call\n555-0132"</c> is masked as routing reads it.
    /// Not JSON after all: the whole text is masked as plain text.
    /// </summary>
    public string MaskJson(ReadOnlySpan<byte> utf8Json)
    {
        StringBuilder? result = null;
        var copied = 0;
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
                {
                    continue;
                }

                var value = reader.GetString()!;
                var masked = Mask(value);
                if (ReferenceEquals(masked, value))
                {
                    continue;
                }

                // The token is the quoted, still-escaped value: quote, ValueSpan, quote.
                var start = (int)reader.TokenStartIndex;
                result ??= new StringBuilder(utf8Json.Length + 32);
                result.Append(Encoding.UTF8.GetString(utf8Json[copied..start]))
                    .Append('"').Append(JsonEncodedText.Encode(masked, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value).Append('"');
                copied = start + reader.ValueSpan.Length + 2;
            }
        }
        catch (JsonException)
        {
            return Mask(Encoding.UTF8.GetString(utf8Json));
        }

        return result is null
            ? Encoding.UTF8.GetString(utf8Json)
            : result.Append(Encoding.UTF8.GetString(utf8Json[copied..])).ToString();
    }

    internal int IndexOf(string name)
    {
        for (var i = 0; i < _kinds.Length; i++)
        {
            if (_kinds[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    // Runs the kinds in claim order, each over the stretches the earlier ones left. With firstOnly, returns at the
    // first match of a wanted kind (or once no wanted kind is left); otherwise collects every match, in order.
    private bool Scan(ReadOnlySpan<char> text, ulong wanted, bool firstOnly, ref Hits hits)
    {
        for (var k = 0; k < _recognizers.Length; k++)
        {
            var bit = 1UL << k;
            if (firstOnly && (wanted & ~(bit - 1)) == 0)
            {
                return false;
            }

            var isWanted = (wanted & bit) != 0;
            var before = hits.Count;
            hits.StopAtFirst = firstOnly && isWanted;
            ScanKind(text, k, ref hits);
            if (hits.Count > before)
            {
                if (firstOnly && isWanted)
                {
                    return true;
                }

                if (before > 0)
                {
                    hits.Sort();
                }
            }
        }

        return !firstOnly && hits.Count > 0;
    }

    private void ScanKind(ReadOnlySpan<char> text, int kind, ref Hits hits)
    {
        var recognizer = _recognizers[kind];
        var claimed = hits.Count;
        var cursor = 0;
        for (var h = 0; h <= claimed; h++)
        {
            var end = h < claimed ? hits[h].Start : text.Length;
            if (end > cursor)
            {
                var before = hits.Count;
                try
                {
                    recognizer.Scan(text[cursor..end], cursor, kind, ref hits);
                }
                catch (RegexMatchTimeoutException)
                {
                    // Too slow to decide counts as a match: the whole stretch becomes this kind's.
                    hits.Truncate(before);
                    hits.Add(cursor, end - cursor, kind);
                }

                if (hits.StopAtFirst && hits.Count > before)
                {
                    return;
                }
            }

            if (h < claimed)
            {
                cursor = hits[h].End;
            }
        }
    }
}
