using System.Text.RegularExpressions;

namespace Tandem.Privacy;

/// <summary>Finds the matches of one kind of personal data.</summary>
internal abstract class Recognizer
{
    /// <summary>
    /// Adds every match in <paramref name="text"/> to <paramref name="hits"/> in order of position, at
    /// <paramref name="offset"/> + its index, and stops early when <see cref="Hits.Add"/> says so. The text is one
    /// stretch that no earlier kind claimed, so its edges read like the edges of the whole text: a match next to an
    /// earlier kind's match is judged as if that match were already replaced by its placeholder.
    /// </summary>
    /// <exception cref="RegexMatchTimeoutException">A regular expression took longer than its timeout.</exception>
    public abstract void Scan(ReadOnlySpan<char> text, int offset, int kind, ref Hits hits);
}

/// <summary>
/// Accepts a candidate match at <paramref name="start"/> of <paramref name="length"/> characters: the length of the
/// accepted prefix (the whole candidate or less), or 0 to reject it.
/// </summary>
internal delegate int CandidateCheck(ReadOnlySpan<char> text, int start, int length);

/// <summary>A regular expression's matches, optionally confirmed by a check (mod 97, digits present…).</summary>
/// <param name="regex">The candidates.</param>
/// <param name="check">Confirms a candidate, or none.</param>
/// <param name="rescanRejected">
/// Whether a real match may start inside a rejected candidate ("XX12 DE89 3704…"), so the search resumes one
/// character after its start rather than after its end. Only for candidates of bounded length, or a long rejected
/// run would be searched again from every position in it.
/// </param>
/// <param name="required">
/// A character every match contains (the <c>@</c> of an e-mail address): text without it is skipped with one
/// vectorized search instead of the regular expression's walk (most prompts hold no e-mail address).
/// </param>
internal sealed class RegexRecognizer(Regex regex, CandidateCheck? check = null, bool rescanRejected = false, char? required = null) : Recognizer
{
    public override void Scan(ReadOnlySpan<char> text, int offset, int kind, ref Hits hits)
    {
        if (required is { } c && !text.Contains(c))
        {
            return;
        }

        var from = 0;
        while (from < text.Length)
        {
            var start = -1;
            var length = 0;
            foreach (var m in regex.EnumerateMatches(text, from))
            {
                // An empty match (a custom pattern such as "x*") has nothing to mask.
                if (m.Length > 0)
                {
                    (start, length) = (m.Index, m.Length);
                    break;
                }
            }

            if (start < 0)
            {
                return;
            }

            var accepted = check is null ? length : check(text, start, length);
            if (accepted > 0)
            {
                if (hits.Add(offset + start, accepted, kind))
                {
                    return;
                }

                from = start + accepted;
            }
            else
            {
                from = rescanRejected ? start + 1 : start + length;
            }
        }
    }
}
