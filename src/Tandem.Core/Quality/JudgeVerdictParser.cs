using System.Globalization;
using System.Text.Json;

namespace Tandem.Quality;

/// <summary>
/// Reads a judge's verdict from its text: a bare JSON object, a fenced <c>```json</c> block, or a JSON object inside
/// explanations. When no object carries a valid verdict, or several carry different ones, the verdict is
/// unparseable: it is counted as such and never guessed from loose words.
/// </summary>
public static class JudgeVerdictParser
{
    /// <summary>Reads <c>{"score": 1..5, "reasons": "..."}</c>. The score must be a whole number from 1 to 5.</summary>
    public static bool TryParseScore(string text, out int score, out string? reasons)
    {
        score = 0;
        reasons = null;
        int? found = null;
        foreach (var obj in JsonObjects.Extract(text))
        {
            using (obj)
            {
                if (!TryGetProperty(obj.RootElement, ["score", "rating"], out var value))
                {
                    continue;
                }

                if (!TryReadScore(value, out var s))
                {
                    return false;
                }

                if (found is not null && found != s)
                {
                    return false; // two different verdicts: ambiguous
                }

                found = s;
                reasons ??= ReasonsOf(obj.RootElement);
            }
        }

        if (found is null)
        {
            reasons = null;
            return false;
        }

        score = found.Value;
        return true;
    }

    /// <summary>Reads <c>{"winner": "A" | "B" | "tie", "reasons": "..."}</c>.</summary>
    public static bool TryParseWinner(string text, out char winner, out string? reasons)
    {
        winner = '\0';
        reasons = null;
        char? found = null;
        foreach (var obj in JsonObjects.Extract(text))
        {
            using (obj)
            {
                if (!TryGetProperty(obj.RootElement, ["winner", "verdict", "better"], out var value))
                {
                    continue;
                }

                if (value.ValueKind != JsonValueKind.String || ReadWinner(value.GetString()) is not char w)
                {
                    return false;
                }

                if (found is not null && found != w)
                {
                    return false;
                }

                found = w;
                reasons ??= ReasonsOf(obj.RootElement);
            }
        }

        if (found is null)
        {
            reasons = null;
            return false;
        }

        winner = found.Value;
        return true;
    }

    private static char? ReadWinner(string? value)
    {
        var v = (value ?? "").Trim().Trim('[', ']', '"', '\'', '.', ' ').ToUpperInvariant();
        return v switch
        {
            "A" or "ANSWER A" => 'A',
            "B" or "ANSWER B" => 'B',
            "TIE" or "DRAW" or "EQUAL" or "C" => 'T',
            _ => null,
        };
    }

    private static bool TryReadScore(JsonElement value, out int score)
    {
        score = 0;
        double d;
        if (value.ValueKind == JsonValueKind.Number)
        {
            d = value.GetDouble();
        }
        else if (value.ValueKind == JsonValueKind.String
            && double.TryParse(value.GetString()?.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
        {
            d = parsed;
        }
        else
        {
            return false;
        }

        if (d != Math.Floor(d) || d < 1 || d > 5)
        {
            return false;
        }

        score = (int)d;
        return true;
    }

    private static bool TryGetProperty(JsonElement obj, string[] names, out JsonElement value)
    {
        foreach (var p in obj.EnumerateObject())
        {
            foreach (var n in names)
            {
                if (string.Equals(p.Name, n, StringComparison.OrdinalIgnoreCase))
                {
                    value = p.Value;
                    return true;
                }
            }
        }

        value = default;
        return false;
    }

    private static string? ReasonsOf(JsonElement obj)
    {
        if (!TryGetProperty(obj, ["reasons", "reason", "explanation", "rationale"], out var r))
        {
            return null;
        }

        return r.ValueKind switch
        {
            JsonValueKind.String => r.GetString(),
            JsonValueKind.Array => string.Join("; ", r.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
            _ => r.GetRawText(),
        };
    }
}

/// <summary>Finds JSON objects in free text (model output that wraps JSON in fences or prose).</summary>
public static class JsonObjects
{
    /// <summary>
    /// Yields every top-level JSON object in <paramref name="text"/> that parses, in order: the whole text when it
    /// is one object, otherwise each balanced <c>{…}</c> span (strings and escapes respected). The caller disposes.
    /// </summary>
    public static IEnumerable<JsonDocument> Extract(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            yield break;
        }

        var whole = TryParse(text.Trim());
        if (whole is not null)
        {
            yield return whole;
            yield break;
        }

        var i = 0;
        while (i < text.Length)
        {
            var start = text.IndexOf('{', i);
            if (start < 0)
            {
                yield break;
            }

            var end = MatchingBrace(text, start);
            if (end < 0)
            {
                i = start + 1;
                continue;
            }

            var doc = TryParse(text[start..(end + 1)]);
            if (doc is null)
            {
                i = start + 1;
                continue;
            }

            yield return doc;
            i = end + 1;
        }
    }

    /// <summary>The first JSON object in the text, or null.</summary>
    public static JsonDocument? First(string? text) => Extract(text).FirstOrDefault();

    private static JsonDocument? TryParse(string candidate)
    {
        if (candidate.Length == 0 || candidate[0] != '{')
        {
            return null;
        }

        try
        {
            var doc = JsonDocument.Parse(candidate, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                return doc;
            }

            doc.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static int MatchingBrace(string text, int start)
    {
        var depth = 0;
        var inString = false;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{':
                    depth++;
                    break;
                case '}':
                    depth--;
                    if (depth == 0)
                    {
                        return i;
                    }

                    break;
            }
        }

        return -1;
    }
}
