using System.Text.RegularExpressions;

namespace Tandem.Routing;

/// <summary>
/// Finds classes of sensitive data in request text: e-mail addresses, phone numbers, payment card numbers (Luhn
/// checked), IBANs (mod-97 checked) and configured patterns. It reports which classes occur, never the matches.
/// </summary>
public sealed partial class SensitiveDataDetector
{
    /// <summary>Built-in class names.</summary>
    public static readonly IReadOnlyList<string> BuiltInClasses = ["email", "phone", "card", "iban"];

    private readonly KeyValuePair<string, Regex>[] _patterns;

    /// <summary>Creates a detector with extra named patterns.</summary>
    public SensitiveDataDetector(IReadOnlyDictionary<string, string>? patterns = null)
    {
        _patterns = (patterns ?? new Dictionary<string, string>())
            .Select(p => new KeyValuePair<string, Regex>(p.Key, new Regex(p.Value, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(250))))
            .ToArray();
    }

    /// <summary>Whether <paramref name="text"/> contains any of <paramref name="classes"/> (<c>any</c> means all).</summary>
    public bool ContainsAny(string text, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(classes);
        var any = classes.Contains("any");
        foreach (var c in any ? BuiltInClasses.Concat(_patterns.Select(p => p.Key)) : classes)
        {
            if (Contains(text, c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="text"/> contains the class <paramref name="name"/>.</summary>
    public bool Contains(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (name)
        {
            case "email":
                return Email().IsMatch(text);
            case "phone":
                foreach (Match m in Phone().Matches(text))
                {
                    var digits = m.Value.Count(char.IsAsciiDigit);
                    if (digits is >= 9 and <= 15)
                    {
                        return true;
                    }
                }

                return false;
            case "card":
                foreach (Match m in Card().Matches(text))
                {
                    if (Luhn(m.Value))
                    {
                        return true;
                    }
                }

                return false;
            case "iban":
                foreach (Match m in Iban().Matches(text))
                {
                    if (IbanChecksum(m.Value))
                    {
                        return true;
                    }
                }

                return false;
            default:
                foreach (var (n, regex) in _patterns)
                {
                    if (n == name)
                    {
                        try
                        {
                            return regex.IsMatch(text);
                        }
                        catch (RegexMatchTimeoutException)
                        {
                            // A pattern too slow to decide counts as a match: the safe side for a data-residency rule.
                            return true;
                        }
                    }
                }

                return false;
        }
    }

    /// <summary>The Luhn check over the digits of <paramref name="candidate"/> (13–19 digits).</summary>
    public static bool Luhn(string candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var sum = 0;
        var count = 0;
        var doubleIt = false;
        for (var i = candidate.Length - 1; i >= 0; i--)
        {
            var c = candidate[i];
            if (!char.IsAsciiDigit(c))
            {
                continue;
            }

            var d = c - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubleIt = !doubleIt;
            count++;
        }

        return count is >= 13 and <= 19 && sum % 10 == 0;
    }

    /// <summary>The ISO 13616 mod-97 check of an IBAN (spaces ignored).</summary>
    public static bool IbanChecksum(string candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var s = candidate.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        if (s.Length is < 15 or > 34)
        {
            return false;
        }

        var rearranged = s[4..] + s[..4];
        var remainder = 0;
        foreach (var c in rearranged)
        {
            if (char.IsAsciiDigit(c))
            {
                remainder = ((remainder * 10) + (c - '0')) % 97;
            }
            else if (char.IsAsciiLetterUpper(c))
            {
                var v = c - 'A' + 10;
                remainder = ((remainder * 100) + v) % 97;
            }
            else
            {
                return false;
            }
        }

        return remainder == 1;
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex Email();

    [GeneratedRegex(@"(?<![\w])(\+?\d[\d\s().\-]{7,18}\d)(?![\w])", RegexOptions.CultureInvariant)]
    private static partial Regex Phone();

    [GeneratedRegex(@"(?<!\d)(\d[ \-]?){12,18}\d(?!\d)", RegexOptions.CultureInvariant)]
    private static partial Regex Card();

    [GeneratedRegex(@"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", RegexOptions.CultureInvariant)]
    private static partial Regex Iban();
}
