using System.Text;
using System.Text.Json;
using Tandem.Eval.Suites;
using Tandem.Quality;

namespace Tandem.Eval.Running;

/// <summary>Reads a label or a JSON object from an answer. Lenient with wrapping, strict with content.</summary>
internal static class AnswerScorer
{
    /// <summary>
    /// The label an answer names: the whole answer (or its first line) after trimming quotes, backticks, bold marks,
    /// a trailing period and a <c>label:</c>/<c>intent:</c> prefix, compared without case and with spaces or hyphens
    /// read as underscores. Null when it names no known label: an invalid output, not a wrong label.
    /// </summary>
    public static string? MatchLabel(string answer, IReadOnlyDictionary<string, string> normalizedLabels)
    {
        var text = answer.Trim();
        foreach (var candidate in (string[])[text, text.Split('\n')[0]])
        {
            var c = candidate.Trim().Trim('`', '"', '\'', '*', ' ').TrimEnd('.', '!').Trim();
            var colon = c.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && c[..colon].Trim().ToLowerInvariant() is "label" or "intent" or "answer" or "category" or "class")
            {
                c = c[(colon + 1)..].Trim().Trim('`', '"', '\'', '*', ' ');
            }

            if (normalizedLabels.TryGetValue(Normalize(c), out var label))
            {
                return label;
            }
        }

        return null;
    }

    public static Dictionary<string, string> NormalizeLabels(IEnumerable<string> labels)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var l in labels)
        {
            map.TryAdd(Normalize(l), l);
        }

        return map;
    }

    private static string Normalize(string s)
    {
        var sb = new StringBuilder(s.Length);
        var lastUnderscore = false;
        foreach (var ch in s.Trim())
        {
            if (ch is ' ' or '-' or '_' or '\t')
            {
                if (!lastUnderscore)
                {
                    sb.Append('_');
                }

                lastUnderscore = true;
            }
            else
            {
                sb.Append(char.ToLowerInvariant(ch));
                lastUnderscore = false;
            }
        }

        return sb.ToString();
    }

    /// <summary>Scores an extraction answer: its first JSON object must carry every required field with a non-null value.</summary>
    public static (bool Correct, bool Invalid) ScoreExtraction(string answer, IReadOnlyList<string> required)
    {
        using var doc = JsonObjects.First(answer);
        if (doc is null)
        {
            return (false, true);
        }

        foreach (var field in required)
        {
            if (!doc.RootElement.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return (false, false);
            }
        }

        return (true, false);
    }

    public static void Score(EvalCase c, string answer, IReadOnlyDictionary<string, string> labels, EvalRecord record)
    {
        switch (c.Kind)
        {
            case CaseKind.Classification:
                var predicted = MatchLabel(answer, labels);
                record.Predicted = predicted;
                record.Invalid = predicted is null;
                record.Correct = predicted is not null && string.Equals(predicted, c.Label, StringComparison.Ordinal);
                break;
            case CaseKind.Extraction:
                var (correct, invalid) = ScoreExtraction(answer, c.RequiredFields);
                record.Correct = correct;
                record.Invalid = invalid;
                break;
            default:
                break;
        }
    }
}
