using System.Text.RegularExpressions;

namespace Tandem.Privacy;

/// <summary>
/// The one set of patterns and checks behind the built-in kinds, in the order of <see cref="PersonalDataKind.BuiltIn"/>.
/// Every regular expression has the same 250 ms timeout as custom patterns.
/// </summary>
internal static partial class BuiltInRecognizers
{
    public const int TimeoutMilliseconds = 250;

    /// <summary>One recognizer per built-in kind, in the order of <see cref="PersonalDataKind.BuiltIn"/>.</summary>
    public static Recognizer[] All { get; } =
    [
        new RegexRecognizer(Email(), required: '@'),
        new RegexRecognizer(Secret(), static (text, start, length) => text.Slice(start, length).IndexOfAnyInRange('0', '9') >= 0 ? length : 0),
        new RegexRecognizer(Iban(), IbanPrefix, rescanRejected: true),
        new CardRecognizer(),
        new RegexRecognizer(Ssn(), SsnAlone, required: '-'),
        new RegexRecognizer(Ipv4(), Ipv4Alone),
        new PhoneRecognizer(),
    ];

    // The registered length of the candidate's country, counted without spaces, ending at the candidate's end or
    // before a space ("DE89 3704 0044 0532 0130 00 EUR 12" holds a 22-character German IBAN), and mod 97.
    private static int IbanPrefix(ReadOnlySpan<char> text, int start, int length)
    {
        var candidate = text.Slice(start, length);
        var expected = PersonalDataChecks.IbanLength(candidate[0], candidate[1]);
        var n = 0;
        for (var i = 0; i < candidate.Length && expected > 0; i++)
        {
            if (candidate[i] != ' ' && ++n == expected)
            {
                var end = i + 1;
                return (end == candidate.Length || candidate[end] == ' ') && PersonalDataChecks.IsIbanValid(candidate[..end]) ? end : 0;
            }
        }

        return 0;
    }

    // In the issued ranges, and not part of a longer token ("ID-123-45-6789", "123-45-6789-0"). The context is
    // checked here rather than with lookarounds in the pattern, which would cost the regex its vectorized search.
    private static int SsnAlone(ReadOnlySpan<char> text, int start, int length)
    {
        static bool Joins(char c) => char.IsLetterOrDigit(c) || c is '_' or '-';
        var alone = (start == 0 || !Joins(text[start - 1])) && (start + length == text.Length || !Joins(text[start + length]));
        return alone && PersonalDataChecks.IsSsnValid(text.Slice(start, length)) ? length : 0;
    }

    // Four octets of 0-255 without leading zeros, not part of a longer dotted number or token (a version such as
    // 1.2.3.4.5, "v1.2.3.4"). Checked here: range alternations and lookarounds in the pattern cost three times more.
    private static int Ipv4Alone(ReadOnlySpan<char> text, int start, int length)
    {
        var end = start + length;
        if ((start > 0 && (char.IsLetterOrDigit(text[start - 1]) || text[start - 1] is '_' or '.'))
            || (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] == '_'
                || (text[end] == '.' && end + 1 < text.Length && char.IsAsciiDigit(text[end + 1])))))
        {
            return 0;
        }

        foreach (var range in text[start..end].Split('.'))
        {
            var octet = text[start..end][range];
            if ((octet.Length > 1 && octet[0] == '0') || int.Parse(octet, provider: System.Globalization.CultureInfo.InvariantCulture) > 255)
            {
                return 0;
            }
        }

        return length;
    }

    // Local part, @, domain labels, a top-level domain of letters.
    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex Email();

    // Token prefixes that providers document: OpenAI and Stripe sk-/pk-/rk-, GitHub ghp_/gho_/ghu_/ghs_/ghr_ and
    // github_pat_, Slack xoxa-/xoxb-/xoxp-/xoxr-/xoxs-, AWS access key ids AKIA…; the check wants a digit in it,
    // so that words such as "sk-learn-compatible" stay.
    [GeneratedRegex(@"\b(?:(?:sk|pk|rk|ghp|gho|ghu|ghs|ghr|xox[abprs])[-_][A-Za-z0-9_\-]{12,}|github_pat_[A-Za-z0-9_]{20,}|AKIA[0-9A-Z]{16})\b", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex Secret();

    // Country, check digits, then letters and digits with single spaces anywhere (printed groups of four or not).
    [GeneratedRegex(@"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex Iban();

    [GeneratedRegex(@"[0-9]{3}-[0-9]{2}-[0-9]{4}", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex Ssn();

    [GeneratedRegex(@"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex Ipv4();
}
