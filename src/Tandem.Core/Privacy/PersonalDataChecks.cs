namespace Tandem.Privacy;

/// <summary>
/// The check-digit and range rules behind the built-in kinds, usable alone: the Luhn check of card numbers, the
/// ISO 13616 IBAN check (registered country, its length, mod 97) and the ranges of US social security numbers.
/// </summary>
public static class PersonalDataChecks
{
    // IBAN length per country, from the ISO 13616 IBAN registry that SWIFT publishes
    // (https://www.swift.com/standards/data-standards/iban), as of 2025: 89 countries, the latest additions being
    // Honduras, Oman and Yemen. A country added later is not recognised until it is listed here.
    private const string IbanRegistry =
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 " +
        "EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28 IE22 IL23 IQ23 IS26 " +
        "IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 " +
        "NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 " +
        "SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30";

    private static readonly byte[] IbanLengths = BuildIbanLengths();

    /// <summary>
    /// Whether the digits of <paramref name="number"/> pass the Luhn (mod 10) check. Single spaces and hyphens between
    /// digits are ignored; any other character, or fewer than two digits, fails.
    /// </summary>
    public static bool IsLuhnValid(ReadOnlySpan<char> number)
    {
        var sum = 0;
        var count = 0;
        for (var i = number.Length - 1; i >= 0; i--)
        {
            var c = number[i];
            if (c is ' ' or '-')
            {
                continue;
            }

            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            var d = c - '0';
            if ((count & 1) == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            count++;
        }

        return count >= 2 && sum % 10 == 0;
    }

    /// <summary>
    /// Whether <paramref name="iban"/> is an IBAN: a country of the ISO 13616 registry, two check digits, exactly that
    /// country's length in upper-case letters and digits (spaces ignored), and the mod-97 remainder 1.
    /// </summary>
    public static bool IsIbanValid(ReadOnlySpan<char> iban)
    {
        Span<char> compact = stackalloc char[34];
        var n = 0;
        foreach (var c in iban)
        {
            if (c == ' ')
            {
                continue;
            }

            if (n == compact.Length || !(char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c)))
            {
                return false;
            }

            compact[n++] = c;
        }

        return n >= 4 && IbanLength(compact[0], compact[1]) == n && IsMod97Valid(compact[..n]);
    }

    /// <summary>
    /// Whether <paramref name="ssn"/> (<c>AAA-GG-SSSS</c>) lies in the ranges the US Social Security Administration
    /// assigns: area 001–899 except 666, group 01–99, serial 0001–9999
    /// (https://www.ssa.gov/employer/randomization.html).
    /// </summary>
    public static bool IsSsnValid(ReadOnlySpan<char> ssn)
    {
        if (ssn.Length != 11 || ssn[3] != '-' || ssn[6] != '-')
        {
            return false;
        }

        foreach (var i in (ReadOnlySpan<int>)[0, 1, 2, 4, 5, 7, 8, 9, 10])
        {
            if (!char.IsAsciiDigit(ssn[i]))
            {
                return false;
            }
        }

        var area = ((ssn[0] - '0') * 100) + ((ssn[1] - '0') * 10) + (ssn[2] - '0');
        return area is > 0 and < 900 and not 666 && ssn[4..6] is not "00" && ssn[7..] is not "0000";
    }

    /// <summary>The registered IBAN length of a country (two upper-case letters), or 0.</summary>
    internal static int IbanLength(char a, char b) =>
        char.IsAsciiLetterUpper(a) && char.IsAsciiLetterUpper(b) ? IbanLengths[((a - 'A') * 26) + (b - 'A')] : 0;

    // ISO 7064 MOD 97-10 as ISO 13616 applies it: move the first four characters to the end, read letters as 10–35,
    // and the number must leave remainder 1.
    private static bool IsMod97Valid(ReadOnlySpan<char> compact)
    {
        var remainder = 0;
        for (var i = 0; i < compact.Length; i++)
        {
            var c = compact[(i + 4) % compact.Length];
            remainder = char.IsAsciiDigit(c)
                ? ((remainder * 10) + (c - '0')) % 97
                : ((remainder * 100) + (c - 'A' + 10)) % 97;
        }

        return remainder == 1;
    }

    private static byte[] BuildIbanLengths()
    {
        var lengths = new byte[26 * 26];
        foreach (var entry in IbanRegistry.Split(' '))
        {
            lengths[((entry[0] - 'A') * 26) + (entry[1] - 'A')] = byte.Parse(entry.AsSpan(2), provider: System.Globalization.CultureInfo.InvariantCulture);
        }

        return lengths;
    }
}
