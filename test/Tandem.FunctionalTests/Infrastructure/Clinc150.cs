using System.Text.Json;

namespace Tandem.FunctionalTests.Infrastructure;

/// <summary>
/// Rows of the CLINC150 test split (Larson et al. 2019, CC BY 3.0) from the sample in test/TestData/clinc150: 40 intents
/// with 10 rows each.
/// </summary>
internal static class Clinc150
{
    /// <summary>
    /// The first <paramref name="count"/> rows taken round-robin across the intents (the file is grouped by intent),
    /// so that any prefix spreads over all intents; the same rows in the same order on every run.
    /// </summary>
    public static IReadOnlyList<(string Text, string Intent)> Sample(int count)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestData.Clinc150));
        var rows = doc.RootElement.GetProperty("test").EnumerateArray().Select(r => (Text: r[0].GetString()!, Intent: r[1].GetString()!)).ToList();
        var interleaved = rows
            .GroupBy(r => r.Intent)                                     // intents in file order
            .SelectMany(g => g.Select((row, rank) => (Row: row, Rank: rank)))
            .OrderBy(x => x.Rank)                                       // stable: each round in intent order
            .Select(x => x.Row)
            .ToList();
        return count <= interleaved.Count
            ? interleaved[..count]
            : throw new ArgumentOutOfRangeException(nameof(count), $"the sample has {interleaved.Count} test rows");
    }

    public static Dictionary<string, string> Answers(IEnumerable<(string Text, string Intent)> rows) =>
        rows.GroupBy(r => r.Text.Trim()).ToDictionary(g => g.Key, g => g.First().Intent, StringComparer.Ordinal);
}
