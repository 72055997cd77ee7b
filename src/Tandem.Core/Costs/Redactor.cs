using System.Text;
using System.Text.RegularExpressions;

namespace Tandem.Costs;

/// <summary>
/// Masks personal data in captured content for <c>capture: redacted</c>: e-mail addresses, payment card numbers
/// (Luhn-checked), IBANs, US social security numbers, phone numbers, IPv4 addresses and bearer-style secrets.
/// Each match becomes a typed placeholder such as <c>[email]</c>, so the text stays readable for review.
/// </summary>
public static partial class Redactor
{
    /// <summary>Returns <paramref name="text"/> with every recognised item replaced by its placeholder.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = Email().Replace(text, "[email]");
        result = Secret().Replace(result, "[secret]");
        result = Iban().Replace(result, "[iban]");
        result = Card().Replace(result, static m => IsLuhn(m.Value) ? "[card]" : m.Value);
        result = Ssn().Replace(result, "[ssn]");
        result = Ipv4().Replace(result, "[ip]");
        result = Phone().Replace(result, static m => LooksLikePhone(m.Value) ? "[phone]" : m.Value);
        return result;
    }

    /// <summary>
    /// 7–15 digits (E.164) written with a <c>+</c>, brackets or separators; a bare run of digits only at the 10–11 of
    /// national numbers, so that order numbers and amounts survive.
    /// </summary>
    private static bool LooksLikePhone(string s)
    {
        var digits = DigitCount(s);
        var formatted = s.Length != digits;
        return formatted ? digits is >= 7 and <= 15 : digits is 10 or 11;
    }

    private static int DigitCount(string s)
    {
        var n = 0;
        foreach (var c in s)
        {
            if (char.IsAsciiDigit(c))
            {
                n++;
            }
        }

        return n;
    }

    private static bool IsLuhn(string candidate)
    {
        var digits = new StringBuilder(19);
        foreach (var c in candidate)
        {
            if (char.IsAsciiDigit(c))
            {
                digits.Append(c);
            }
        }

        if (digits.Length is < 13 or > 19)
        {
            return false;
        }

        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
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
        }

        return sum % 10 == 0;
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")]
    private static partial Regex Email();

    [GeneratedRegex(@"\b(?:sk|pk|rk|ghp|gho|xox[abp])[-_][A-Za-z0-9_\-]{12,}\b")]
    private static partial Regex Secret();

    [GeneratedRegex(@"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")]
    private static partial Regex Iban();

    [GeneratedRegex(@"\b\d(?:[ \-]?\d){12,18}\b")]
    private static partial Regex Card();

    [GeneratedRegex(@"\b\d{3}-\d{2}-\d{4}\b")]
    private static partial Regex Ssn();

    [GeneratedRegex(@"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")]
    private static partial Regex Ipv4();

    [GeneratedRegex(@"(?<![\w])\+?\(?\d{1,4}\)?(?:[ .\-]?\(?\d{2,4}\)?){2,5}(?![\w])")]
    private static partial Regex Phone();
}
