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
        new RegexRecognizer(Email()),
        new RegexRecognizer(Secret(), static (text, start, length) => text.Slice(start, length).IndexOfAnyInRange('0', '9') >= 0 ? length : 0),
        new RegexRecognizer(Iban(), IbanPrefix, rescanRejected: true),
        new CardRecognizer(),
        new RegexRecognizer(Ssn(), static (text, start, length) => PersonalDataChecks.IsSsnValid(text.Slice(start, length)) ? length : 0),
        new RegexRecognizer(Ipv4()),
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

    [GeneratedRegex(@"(?<![\w\-])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![\w\-])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex Ssn();

    // Four octets of 0-255 without leading zeros, not part of a longer dotted number (a version such as 1.2.3.4.5).
    [GeneratedRegex(@"(?<![\w.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?!\w|\.[0-9])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex Ipv4();
}
