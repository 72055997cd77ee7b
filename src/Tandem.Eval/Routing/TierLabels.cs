using System.Text;
using System.Text.Json;
using Tandem.Eval.Suites;
using Tandem.Routing.Learned;

namespace Tandem.Eval.Routing;

/// <summary>A prompt labelled with its tier's place in the ordered tier list (0 = the cheapest tier).</summary>
internal sealed record TierExample(string Text, int Tier)
{
    /// <summary>The same fixed held-out split as outcomes: by hash of the prompt.</summary>
    public bool HeldOut => new RouterExample(Text, true, null).HeldOut;
}

/// <summary>What a tier-labelled training run measured on the held-out split, with the tier mins it used.</summary>
internal sealed record TierReport(IReadOnlyList<double> Mins, int HeldOut, double Accuracy, int[,] Confusion);

/// <summary>
/// Tier-labelled training data (a human-labelled set): CSV with a header naming a <c>text</c> (or <c>prompt</c>) and
/// a <c>tier</c> (or <c>label</c>) column, or JSONL lines <c>{"text": "...", "tier": "simple"}</c>. The tiers' order,
/// cheapest first, is given by the caller; a label outside it is an error naming file and row.
/// </summary>
internal static class TierLabels
{
    public static List<TierExample> Read(string path, IReadOnlyList<string> tiers)
    {
        var index = tiers.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);
        var rows = new List<TierExample>();
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            var line = 0;
            foreach (var text in File.ReadLines(path))
            {
                line++;
                if (string.IsNullOrWhiteSpace(text))
                {
                    continue;
                }

                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                var prompt = String(root, "text") ?? String(root, "prompt");
                var tier = String(root, "tier") ?? String(root, "label");
                if (prompt is null || tier is null)
                {
                    throw new InvalidDataException($"{path}: line {line} needs a string 'text' (or 'prompt') and a string 'tier' (or 'label')");
                }

                rows.Add(new TierExample(prompt, Tier(tier, $"{path}: line {line}")));
            }

            return rows;
        }

        using var reader = new StreamReader(path, Encoding.UTF8);
        var csv = CsvReader.ReadRows(reader).ToList();
        var header = csv.Count > 0 ? csv[0] : [];
        var textColumn = Array.FindIndex(header, h => h is "text" or "prompt");
        var tierColumn = Array.FindIndex(header, h => h is "tier" or "label");
        if (textColumn < 0 || tierColumn < 0)
        {
            throw new InvalidDataException($"{path}: expected a header with a text (or prompt) column and a tier (or label) column");
        }

        for (var i = 1; i < csv.Count; i++)
        {
            if (csv[i].Length != header.Length)
            {
                throw new InvalidDataException($"{path}: row {i + 1} has {csv[i].Length} fields, expected {header.Length}");
            }

            rows.Add(new TierExample(csv[i][textColumn], Tier(csv[i][tierColumn], $"{path}: row {i + 1}")));
        }

        return rows;

        int Tier(string label, string where) => index.TryGetValue(label, out var t)
            ? t
            : throw new InvalidDataException($"{where}: tier '{label}' is not one of {string.Join(", ", tiers)}");

        static string? String(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    /// <summary>The training target of a tier: its place between 0 (cheapest) and 1 (strongest).</summary>
    public static double Target(int tier, int tiers) => tier / (double)(tiers - 1);

    /// <summary>
    /// Tier mins halfway between the tiers' places: the score estimates the expected place, so tier j (j ≥ 1) starts
    /// at (j − ½) / (tiers − 1); tier 0's min is 0. Calibrating to the training split's label shares instead was
    /// tried and overfits (training scores sit closer to their targets than held-out ones).
    /// </summary>
    public static double[] Mins(int count) => [.. Enumerable.Range(0, count).Select(j => j == 0 ? 0 : (j - 0.5) / (count - 1))];

    /// <summary>The tier a score falls in: the highest tier whose min it reaches.</summary>
    public static int TierOf(double score, IReadOnlyList<double> mins)
    {
        for (var j = mins.Count - 1; j > 0; j--)
        {
            if (score >= mins[j])
            {
                return j;
            }
        }

        return 0;
    }

    /// <summary>Trains on the 80 % split and measures tier accuracy on the held-out 20 %.</summary>
    public static (LinearRouterModel Model, TierReport Report) Train(IReadOnlyList<TierExample> examples, int tiers, LinearRouterOptions options)
    {
        var train = examples.Where(e => !e.HeldOut).ToList();
        var heldOut = examples.Where(e => e.HeldOut).ToList();
        var model = LinearRouterTrainer.Train([.. train.Select(e => (e.Text, Target(e.Tier, tiers)))], options);
        var mins = Mins(tiers);
        var confusion = new int[tiers, tiers];
        foreach (var e in heldOut)
        {
            confusion[e.Tier, TierOf(model.Score(e.Text), mins)]++;
        }

        var right = Enumerable.Range(0, tiers).Sum(t => confusion[t, t]);
        return (model, new TierReport(mins, heldOut.Count, heldOut.Count == 0 ? double.NaN : right / (double)heldOut.Count, confusion));
    }
}
