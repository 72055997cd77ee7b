namespace Tandem.Privacy;

/// <summary>
/// Payment card numbers: 13 to 19 digits, written without separators or in groups split by single spaces or
/// hyphens, that pass the Luhn check. A longer run of digit groups ("4111 1111 1111 1111 12", a card followed by
/// an expiry month) is searched for its longest valid stretch of whole groups, leftmost first.
/// </summary>
internal sealed class CardRecognizer : Recognizer
{
    private const int MinDigits = 13;
    private const int MaxDigits = 19;

    public override void Scan(ReadOnlySpan<char> text, int offset, int kind, ref Hits hits)
    {
        Span<int> ends = stackalloc int[MaxDigits];
        Span<int> counts = stackalloc int[MaxDigits];
        var i = 0;
        while (i < text.Length)
        {
            var skip = text[i..].IndexOfAnyInRange('0', '9');
            if (skip < 0)
            {
                return;
            }

            i += skip;
            var runStart = i;
            var runEnd = RunEnd(text, i);
            var startOk = !NumberText.GluedBefore(text, runStart);
            var endOk = !NumberText.GluedAfter(text, runEnd);

            // An international phone number ("+44 2079 4609 5812 34") holds no card, whatever its digits.
            var g = runStart > 0 && text[runStart - 1] == '+' ? runEnd : runStart;
            while (g < runEnd)
            {
                var accepted = g == runStart && !startOk ? -1 : LongestValid(text, g, runEnd, endOk, ends, counts);
                if (accepted > 0)
                {
                    if (hits.Add(offset + g, accepted - g, kind))
                    {
                        return;
                    }

                    g = accepted + 1;
                }
                else
                {
                    g = NumberText.DigitsEnd(text, g) + 1;
                }
            }

            i = runEnd;
        }
    }

    // Digits with single spaces or hyphens between them.
    private static int RunEnd(ReadOnlySpan<char> text, int i)
    {
        while (i < text.Length)
        {
            if (char.IsAsciiDigit(text[i]))
            {
                i++;
            }
            else if (text[i] is ' ' or '-' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))
            {
                i++;
            }
            else
            {
                break;
            }
        }

        return i;
    }

    // The end of the longest stretch of whole groups from g that is a card number, or -1.
    private static int LongestValid(ReadOnlySpan<char> text, int g, int runEnd, bool endOk, Span<int> ends, Span<int> counts)
    {
        var n = 0;
        var digits = 0;
        for (var p = g; p < runEnd;)
        {
            var q = NumberText.DigitsEnd(text, p);
            digits += q - p;
            if (digits > MaxDigits)
            {
                break;
            }

            if (q < runEnd || endOk)
            {
                ends[n] = q;
                counts[n] = digits;
                n++;
            }

            p = q + 1;
        }

        for (var k = n - 1; k >= 0 && counts[k] >= MinDigits; k--)
        {
            if (PersonalDataChecks.IsLuhnValid(text[g..ends[k]]))
            {
                return ends[k];
            }
        }

        return -1;
    }
}

/// <summary>Where a number stops and whether it is glued to the text around it.</summary>
internal static class NumberText
{
    public static int DigitsEnd(ReadOnlySpan<char> text, int i)
    {
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        return i;
    }

    /// <summary>
    /// Whether the number starting at <paramref name="start"/> continues something before it: a letter, digit or
    /// one of <c>_ @ / \ +</c> right before it, a hyphen after a letter or digit, or <c>.</c> or <c>,</c> after a digit.
    /// So <c>v2</c>, <c>INV-2024-0001</c> and <c>1,5</c> hold no number, while <c>No.4111…</c> and <c>Tel.+44…</c> do.
    /// </summary>
    public static bool GluedBefore(ReadOnlySpan<char> text, int start)
    {
        if (start == 0)
        {
            return false;
        }

        var c = text[start - 1];
        if (IsGlue(c))
        {
            return true;
        }

        var before = start >= 2 ? text[start - 2] : ' ';
        return c switch
        {
            '-' => char.IsLetterOrDigit(before),
            '.' or ',' => char.IsDigit(before),
            _ => false,
        };
    }

    /// <summary>Whether the number ending at <paramref name="end"/> goes on: a glue character, or <c>. - ,</c> before a digit.</summary>
    public static bool GluedAfter(ReadOnlySpan<char> text, int end)
    {
        if (end >= text.Length)
        {
            return false;
        }

        var c = text[end];
        return IsGlue(c) || (c is '.' or '-' or ',' && end + 1 < text.Length && char.IsDigit(text[end + 1]));
    }

    private static bool IsGlue(char c) => char.IsLetterOrDigit(c) || c is '_' or '@' or '/' or '\\' or '+';
}
