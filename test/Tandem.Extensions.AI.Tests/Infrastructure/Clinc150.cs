using System.Text.Json;

namespace Tandem.Extensions.AI.Tests.Infrastructure;

/// <summary>
/// Rows of the CLINC150 test split (Larson et al. 2019, CC BY 3.0) from the sample committed in test/TestData/clinc150,
/// taken round-robin across its 40 intents so that any prefix spreads over all of them.
/// </summary>
internal static class Clinc150
{
    public static IReadOnlyList<(string Text, string Intent)> Sample(int count)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestData.Clinc150));
        var rows = doc.RootElement.GetProperty("test").EnumerateArray().Select(r => (Text: r[0].GetString()!, Intent: r[1].GetString()!)).ToList();
        return rows
            .GroupBy(r => r.Intent)
            .SelectMany(g => g.Select((row, rank) => (Row: row, Rank: rank)))
            .OrderBy(x => x.Rank)
            .Select(x => x.Row)
            .Take(count)
            .ToList();
    }

    public static Dictionary<string, string> Answers(IEnumerable<(string Text, string Intent)> rows) =>
        rows.GroupBy(r => r.Text.Trim()).ToDictionary(g => g.Key, g => g.First().Intent, StringComparer.Ordinal);
}
