using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tandem.Configuration;

namespace Tandem.Migration;

/// <summary>The comparison of two answers.</summary>
/// <param name="Agree">Whether they agree.</param>
/// <param name="IncumbentLabel">The incumbent's label (classification).</param>
/// <param name="CandidateLabel">The candidate's label (classification).</param>
/// <param name="Similarity">Similarity 0–1 (structured, text).</param>
public readonly record struct Comparison(bool Agree, string? IncumbentLabel, string? CandidateLabel, double? Similarity);

/// <summary>Compares a candidate's answer with the incumbent's, by route type.</summary>
public sealed class AnswerComparer
{
    private readonly CompareConfig _config;
    private readonly Regex? _regex;

    /// <summary>Creates a comparer for a configuration.</summary>
    public AnswerComparer(CompareConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        if (config.Label.StartsWith("regex:", StringComparison.Ordinal))
        {
            _regex = new Regex(config.Label[6..], RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>Compares two answers.</summary>
    public Comparison Compare(string incumbent, string candidate)
    {
        ArgumentNullException.ThrowIfNull(incumbent);
        ArgumentNullException.ThrowIfNull(candidate);
        switch (_config.Kind)
        {
            case "structured":
                var similarity = StructuredSimilarity(incumbent, candidate, _config.Fields);
                return new Comparison(similarity >= 1.0, null, null, similarity);
            case "text":
                var jaccard = TokenJaccard(incumbent, candidate);
                return new Comparison(jaccard >= _config.MinSimilarity, null, null, jaccard);
            default:
                var a = Label(incumbent);
                var b = Label(candidate);
                return new Comparison(a is not null && a == b, a, b, null);
        }
    }

    /// <summary>Reads a label from an answer according to <c>compare.label</c>; null when none can be read.</summary>
    public string? Label(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (_regex is not null)
        {
            var m = _regex.Match(answer);
            return m.Success ? Normalize(m.Groups.Count > 1 && m.Groups[1].Success ? m.Groups[1].Value : m.Value) : null;
        }

        if (_config.Label.StartsWith("json:", StringComparison.Ordinal))
        {
            try
            {
                using var doc = JsonDocument.Parse(ExtractJson(answer));
                return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(_config.Label[5..], out var v)
                    ? Normalize(v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText())
                    : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        var firstLine = answer.Trim().Split('\n', 2)[0];
        var normalized = Normalize(firstLine);
        return normalized.Length == 0 ? null : normalized;
    }

    /// <summary>Lower case, trimmed, without surrounding quotes and punctuation; inner spaces to single underscores.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        var lastWasSep = false;
        foreach (var c in text.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c))
            {
                sb.Append(c);
                lastWasSep = false;
            }
            else if ((c is ' ' or '_' or '-' or '\t') && sb.Length > 0 && !lastWasSep)
            {
                sb.Append('_');
                lastWasSep = true;
            }
        }

        return sb.ToString().TrimEnd('_');
    }

    /// <summary>Share of compared fields equal in two JSON objects; 0 when either is not valid JSON.</summary>
    public static double StructuredSimilarity(string a, string b, IReadOnlyList<string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        try
        {
            using var da = JsonDocument.Parse(ExtractJson(a));
            using var db = JsonDocument.Parse(ExtractJson(b));
            if (da.RootElement.ValueKind != JsonValueKind.Object || db.RootElement.ValueKind != JsonValueKind.Object)
            {
                return JsonElement.DeepEquals(da.RootElement, db.RootElement) ? 1 : 0;
            }

            var names = fields.Count > 0 ? fields : da.RootElement.EnumerateObject().Select(p => p.Name).Union(db.RootElement.EnumerateObject().Select(p => p.Name)).ToList();
            if (names.Count == 0)
            {
                return 1;
            }

            var equal = names.Count(n => da.RootElement.TryGetProperty(n, out var x) && db.RootElement.TryGetProperty(n, out var y) && JsonElement.DeepEquals(x, y));
            return equal / (double)names.Count;
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    /// <summary>Jaccard similarity of the two answers' lower-cased word sets: cheap and order-free.</summary>
    public static double TokenJaccard(string a, string b)
    {
        var sa = Words(a);
        var sb = Words(b);
        if (sa.Count == 0 && sb.Count == 0)
        {
            return 1;
        }

        var inter = sa.Count(sb.Contains);
        return inter / (double)(sa.Count + sb.Count - inter);
    }

    private static HashSet<string> Words(string text) =>
        [.. Regex.Split(text.ToLowerInvariant(), @"\W+").Where(w => w.Length > 0)];

    /// <summary>The JSON object in an answer that may wrap it in a code fence or prose.</summary>
    internal static string ExtractJson(string answer)
    {
        var start = answer.IndexOf('{', StringComparison.Ordinal);
        var end = answer.LastIndexOf('}');
        return start >= 0 && end > start ? answer[start..(end + 1)] : answer.Trim();
    }
}
