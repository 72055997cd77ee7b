using System.Buffers;

namespace Tandem.Privacy;

/// <summary>
/// Phone numbers. A number is a run of digit groups, optionally led by <c>+</c>, with single spaces, hyphens or
/// dots between groups and an area code or trunk digit in brackets (<c>+1 (415) 555-0132</c>,
/// <c>+44 (0)20 7946 0958</c>). It is a phone number when it has
/// <list type="bullet">
/// <item>a leading <c>+</c> and 7–15 digits (E.164 allows at most 15), or</item>
/// <item>brackets or separators and 7–15 digits, every group after the first of two digits or more, groups of 2–4
/// digits when split by dots, and it does not read as a date (<c>2024-05-01</c>, <c>01.05.2024</c>), a range of
/// years (<c>1990-2024</c>) or an amount with thousands separators (<c>1 250 000</c>), or</item>
/// <item>no separators and 10 or 11 digits (a national number written in one piece; shorter runs are amounts and
/// order numbers, longer ones are not phone numbers).</item>
/// </list>
/// The whole run must qualify, except that a number led by <c>+</c> may be followed by more digit groups.
/// </summary>
internal sealed class PhoneRecognizer : Recognizer
{
    private const int MinDigits = 7;
    private const int MaxDigits = 15;
    private static readonly SearchValues<char> Starts = SearchValues.Create("0123456789+(");

    public override void Scan(ReadOnlySpan<char> text, int offset, int kind, ref Hits hits)
    {
        var i = 0;
        while (i < text.Length)
        {
            var skip = text[i..].IndexOfAny(Starts);
            if (skip < 0)
            {
                return;
            }

            i += skip;
            var plus = text[i] == '+';
            var firstGroup = plus ? i + 1 : i;
            if (!IsGroupAt(text, firstGroup))
            {
                i++;
                continue;
            }

            var runStart = i;
            var runEnd = RunEnd(text, firstGroup);
            if (!NumberText.GluedBefore(text, runStart))
            {
                // The whole run, or for an international number the longest valid stretch from its start: "+44 20
                // 7946 0958 2024-05-01" holds a phone number, "4111 1111 1111 1112" (a mistyped card) does not.
                var end = LongestValid(text, firstGroup, plus, runEnd, !NumberText.GluedAfter(text, runEnd));
                var found = end == runEnd || (plus && end > 0);
                if (found && hits.Add(offset + runStart, end - runStart, kind))
                {
                    return;
                }
            }

            i = runEnd;
        }
    }

    // A group is digits, or digits in brackets: "(415)".
    private static bool IsGroupAt(ReadOnlySpan<char> text, int p)
    {
        if (p >= text.Length)
        {
            return false;
        }

        if (char.IsAsciiDigit(text[p]))
        {
            return true;
        }

        if (text[p] != '(' || p + 1 >= text.Length || !char.IsAsciiDigit(text[p + 1]))
        {
            return false;
        }

        var e = NumberText.DigitsEnd(text, p + 1);
        return e < text.Length && text[e] == ')';
    }

    private static int GroupEnd(ReadOnlySpan<char> text, int p) =>
        text[p] == '(' ? NumberText.DigitsEnd(text, p + 1) + 1 : NumberText.DigitsEnd(text, p);

    // The start of the group after the one ending at e: past a single separator, or right there after a bracket.
    private static int NextGroup(ReadOnlySpan<char> text, int e, int runEnd) =>
        e >= runEnd ? runEnd : text[e] is ' ' or '-' or '.' ? e + 1 : e;

    private static int RunEnd(ReadOnlySpan<char> text, int p)
    {
        while (true)
        {
            var e = GroupEnd(text, p);
            if (e >= text.Length)
            {
                return e;
            }

            if (text[e] is ' ' or '-' or '.' && IsGroupAt(text, e + 1))
            {
                p = e + 1;
            }
            else if ((text[p] == '(' || text[e] == '(') && IsGroupAt(text, e))
            {
                // "(0)20", "1(415)": a bracketed group needs no separator.
                p = e;
            }
            else
            {
                return e;
            }
        }
    }

    // The end of the longest stretch of whole groups from g that is a phone number, or -1.
    private static int LongestValid(ReadOnlySpan<char> text, int g, bool plus, int runEnd, bool endOk)
    {
        var shape = default(Shape);
        var best = -1;
        var p = g;
        while (p < runEnd)
        {
            var bracketed = text[p] == '(';
            var ds = bracketed ? p + 1 : p;
            var de = NumberText.DigitsEnd(text, ds);
            var ge = bracketed ? de + 1 : de;
            if (!shape.Add(text, ds, de - ds, bracketed))
            {
                break;
            }

            if ((ge < runEnd || endOk) && shape.IsPhone(plus))
            {
                best = ge;
            }

            if (ge >= runEnd)
            {
                break;
            }

            shape.Joint(text[ge]);
            p = NextGroup(text, ge, runEnd);
        }

        return best;
    }

    /// <summary>What the groups so far look like.</summary>
    private struct Shape
    {
        private int _digits;
        private int _groups;
        private bool _brackets;
        private char _separator;
        private bool _mixedSeparators;
        private bool _dots;
        private bool _shortLaterGroup;
        private bool _groupOutside2To4;
        private bool _thousands;
        private int _value0;
        private int _value1;
        private int _value2;
        private int _size0;
        private int _size1;
        private int _size2;

        // False when the digits would exceed 15.
        public bool Add(ReadOnlySpan<char> text, int start, int size, bool bracketed)
        {
            _digits += size;
            if (_digits > MaxDigits)
            {
                return false;
            }

            _brackets |= bracketed;
            _shortLaterGroup |= _groups > 0 && size < 2;
            _groupOutside2To4 |= size is < 2 or > 4;
            _thousands = _groups == 0 ? size <= 3 : _thousands && size == 3;
            var value = size <= 4 ? int.Parse(text.Slice(start, size), provider: System.Globalization.CultureInfo.InvariantCulture) : -1;
            switch (_groups)
            {
                case 0: (_value0, _size0) = (value, size); break;
                case 1: (_value1, _size1) = (value, size); break;
                case 2: (_value2, _size2) = (value, size); break;
            }

            _groups++;
            return true;
        }

        // The characters between two groups: one separator, or none next to a bracket.
        public void Joint(char c)
        {
            var separator = c is ' ' or '-' or '.' ? c : '\0';
            _dots |= separator == '.';
            if (_groups == 1)
            {
                _separator = separator;
            }
            else if (separator != _separator)
            {
                _mixedSeparators = true;
            }
        }

        public readonly bool IsPhone(bool plus)
        {
            if (plus)
            {
                return _digits >= MinDigits;
            }

            if (_groups == 1 && !_brackets)
            {
                return _digits is 10 or 11;
            }

            if (_digits < MinDigits || _shortLaterGroup || (_dots && _groupOutside2To4))
            {
                return false;
            }

            return _brackets || _mixedSeparators || !(IsDate() || IsYearRange() || IsAmount());
        }

        private readonly bool IsDate() =>
            _groups == 3 && _separator != '\0' && (
                (_size0 == 4 && _size1 == 2 && _size2 == 2 && IsMonth(_value1) && IsDay(_value2)) ||
                (_size0 == 2 && _size1 == 2 && _size2 == 4 && ((IsDay(_value0) && IsMonth(_value1)) || (IsMonth(_value0) && IsDay(_value1)))));

        private readonly bool IsYearRange() =>
            _groups == 2 && _separator == '-' && _size0 == 4 && _size1 == 4 && _value0 is >= 1900 and <= 2099 && _value1 is >= 1900 and <= 2099;

        private readonly bool IsAmount() => _groups >= 3 && _thousands && _separator is ' ' or '.';

        private static bool IsMonth(int v) => v is >= 1 and <= 12;

        private static bool IsDay(int v) => v is >= 1 and <= 31;
    }
}
