using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Tandem.Eval.Suites;

namespace Tandem.Eval.Routing;

/// <summary>One labelled prompt: whether the weak model's answer was good enough (and the strong model's, when known).</summary>
internal sealed record RouterExample(string Text, bool WeakGood, bool? StrongGood)
{
    /// <summary>
    /// The target the router learns, RouteLLM's "the strong model wins": the weak answer was not good enough and the
    /// strong one was (or its result is unknown). A prompt both models fail gains nothing from the strong model.
    /// </summary>
    public bool NeedsStrong => !WeakGood && StrongGood != false;

    /// <summary>
    /// Whether the example is in the fixed 20 % held-out split: XxHash64 of the prompt's UTF-8 bytes modulo 100
    /// below 20. The split depends on the prompt alone, so it is the same for every run, file order and seed.
    /// </summary>
    public bool HeldOut => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(Text)) % 100 < 20;
}

/// <summary>
/// Reads router training data: RouteLLM outcome CSVs (<c>prompt,WEAK_MODEL,STRONG_MODEL</c> with <c>True</c>/<c>False</c>
/// per model), or JSONL lines <c>{"prompt": "...", "weak_good": true, "strong_good": true}</c> (<c>strong_good</c>
/// optional). A directory is read file by file in ordinal name order.
/// </summary>
internal static class RouterData
{
    public static List<RouterExample> Read(string path, string? excludePath = null)
    {
        var files = Directory.Exists(path)
            ? Directory.GetFiles(path).Where(f => f.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList()
            : [path];
        if (files.Count == 0)
        {
            throw new InvalidDataException($"'{path}' holds no .csv or .jsonl file");
        }

        var exclude = excludePath is null ? [] : ReadExcluded(excludePath);
        var examples = new List<RouterExample>();
        foreach (var file in files)
        {
            var read = file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? ReadJsonl(file) : ReadCsv(file);
            examples.AddRange(read.Where(e => !exclude.Contains(e.Text)));
        }

        return examples;
    }

    private static IEnumerable<RouterExample> ReadCsv(string file)
    {
        using var reader = new StreamReader(file, Encoding.UTF8);
        var rows = CsvReader.ReadRows(reader).ToList();
        if (rows.Count == 0 || rows[0].Length != 3)
        {
            throw new InvalidDataException($"{file}: expected a header prompt,WEAK_MODEL,STRONG_MODEL (RouteLLM outcomes)");
        }

        for (var i = 1; i < rows.Count; i++)
        {
            var r = rows[i];
            if (r.Length != 3)
            {
                throw new InvalidDataException($"{file}: row {i + 1} has {r.Length} fields, expected 3");
            }

            yield return new RouterExample(r[0], Bool(r[1], file, i + 1), Bool(r[2], file, i + 1));
        }
    }

    private static IEnumerable<RouterExample> ReadJsonl(string file)
    {
        var line = 0;
        foreach (var text in File.ReadLines(file))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (!root.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("weak_good", out var weak) || weak.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw new InvalidDataException($"{file}: line {line} needs a string 'prompt' and a boolean 'weak_good'");
            }

            bool? strong = root.TryGetProperty("strong_good", out var s) && s.ValueKind is JsonValueKind.True or JsonValueKind.False ? s.GetBoolean() : null;
            yield return new RouterExample(prompt.GetString()!, weak.GetBoolean(), strong);
        }
    }

    /// <summary>Every string value on every line of a JSONL file (RouteLLM's contaminated_prompts.jsonl: train_prompt, eval_prompt).</summary>
    private static HashSet<string> ReadExcluded(string file)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var text in File.ReadLines(file).Where(l => !string.IsNullOrWhiteSpace(l)))
        {
            using var doc = JsonDocument.Parse(text);
            foreach (var p in doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String))
            {
                set.Add(p.Value.GetString()!);
            }
        }

        return set;
    }

    private static bool Bool(string s, string file, int row) => s switch
    {
        "True" or "true" or "1" => true,
        "False" or "false" or "0" => false,
        _ => throw new InvalidDataException($"{file}: row {row}: '{s}' is not True or False"),
    };
}
