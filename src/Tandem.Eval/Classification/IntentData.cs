using Tandem.Eval.Suites;

namespace Tandem.Eval.Classification;

/// <summary>Reads labelled texts for <see cref="IntentTrainer"/>.</summary>
public static class IntentData
{
    /// <summary>
    /// The classification cases of a suite (JSONL or CSV, see <see cref="SuiteLoader"/>): the text is the case's last
    /// user message, template included, exactly as the route receives it. Throws <see cref="SuiteException"/> for a
    /// suite without classification cases.
    /// </summary>
    public static List<IntentExample> FromSuite(string path)
    {
        var suite = SuiteLoader.Load(path);
        var examples = suite.Cases
            .Where(c => c.Kind == CaseKind.Classification && c.Label is not null)
            .Select(c => new IntentExample(LastUserText(c.Messages.Select(m => (m.Role, m.Content))) ?? "", c.Label!))
            .Where(e => e.Text.Length > 0)
            .ToList();
        return examples.Count == 0
            ? throw new SuiteException($"{path}: no classification case (a case with a label and a user message)")
            : examples;
    }

    /// <summary>The content of the last user turn, or null.</summary>
    public static string? LastUserText(IEnumerable<(string Role, string Content)> turns)
    {
        ArgumentNullException.ThrowIfNull(turns);
        return turns.LastOrDefault(t => t.Role == "user").Content;
    }
}
