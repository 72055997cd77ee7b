using System.Text.Json;

namespace Tandem.FunctionalTests.Infrastructure;

/// <summary>
/// A deterministic sample of the CLINC150 test split (Larson et al. 2019, CC BY 3.0), read from
/// ../shared/datasets/clinc150 — not copied into this repository.
/// </summary>
internal static class Clinc150
{
    public static IReadOnlyList<(string Text, string Intent)> Sample(int count, int offset = 0)
    {
        var path = Path.Combine(Path.GetDirectoryName(WireSamples.Root)!, "datasets", "clinc150", "data_full.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var test = doc.RootElement.GetProperty("test");
        var all = test.EnumerateArray().Select(r => (r[0].GetString()!, r[1].GetString()!)).ToList();

        // Every k-th row: spread over all 150 intents, the same rows on every run.
        var step = all.Count / count;
        return Enumerable.Range(0, count).Select(i => all[((i * step) + offset) % all.Count]).ToList();
    }

    public static Dictionary<string, string> Answers(IEnumerable<(string Text, string Intent)> rows) =>
        rows.GroupBy(r => r.Text.Trim()).ToDictionary(g => g.Key, g => g.First().Intent, StringComparer.Ordinal);
}
