using System.Text;
using Tandem.Classification;
using Tandem.Eval.Suites;
using Tandem.Quality;
using Tandem.Routing;

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

    /// <summary>The last user message of a captured <c>messages</c> JSON array, or null (not captured, cut, no user turn).</summary>
    public static string? MessageOf(string? messagesJson)
    {
        if (messagesJson is null || messagesJson.EndsWith("…[truncated]", StringComparison.Ordinal))
        {
            return null;
        }

        var turns = ChatTurn.FromRequestBody(Encoding.UTF8.GetBytes("{\"messages\":" + messagesJson + "}"));
        return LastUserText(turns.Select(t => (t.Role, t.Content))) is { Length: > 0 } text ? text : null;
    }

    /// <summary>
    /// Training examples from a classification route's records: each request the LLM answered (not the route's local
    /// classifier), its last user message and the answer as the label. Answers longer than <paramref name="maxLabelLength"/>
    /// characters or spanning lines are not labels and are skipped.
    /// </summary>
    public static List<IntentExample> FromExchanges(IEnumerable<RouteExchange> exchanges, int maxLabelLength = 100)
    {
        ArgumentNullException.ThrowIfNull(exchanges);
        return exchanges
            .Where(e => e.Deployment?.StartsWith(LocalStage.DeploymentPrefix, StringComparison.Ordinal) != true)
            .Select(e => (Text: MessageOf(e.Prompt), Label: e.Answer?.Trim()))
            .Where(e => e.Text is not null && e.Label is { Length: > 0 } l && l.Length <= maxLabelLength && !l.Contains('\n', StringComparison.Ordinal))
            .Select(e => new IntentExample(e.Text!, e.Label!))
            .ToList();
    }
}
