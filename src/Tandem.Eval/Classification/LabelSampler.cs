using Tandem.Classification;
using Tandem.Routing;

namespace Tandem.Eval.Classification;

/// <summary>How <see cref="LabelSampler"/> picks the requests raters see.</summary>
public enum SampleStrategy
{
    /// <summary>A seeded random sample.</summary>
    Random,

    /// <summary>The requests the classifier is least sure of (lowest confidence first).</summary>
    Uncertainty,

    /// <summary>Requests the LLM answered differently from the classifier (the classifier's surest disagreements first).</summary>
    Disagreement,
}

/// <summary>An item for raters: the request id and its (masked) message.</summary>
/// <param name="Id">The request id.</param>
/// <param name="Text">The user's message, template stripped, personal data masked.</param>
public sealed record LabelItem(string Id, string Text);

/// <summary>Picks a batch of a route's captured requests for human labelling.</summary>
public static class LabelSampler
{
    /// <summary>
    /// Picks up to <paramref name="n"/> items. Each request's last user message is taken from its captured prompt,
    /// the classifier's template (when there is a classifier) stripped and <paramref name="mask"/> applied; requests
    /// without a user message are skipped. Uncertainty and disagreement need <paramref name="classifier"/>.
    /// </summary>
    public static List<LabelItem> Sample(IReadOnlyList<RouteExchange> exchanges, SampleStrategy strategy, int n, int seed, IntentScorer? classifier, Func<string, string> mask)
    {
        ArgumentNullException.ThrowIfNull(exchanges);
        ArgumentNullException.ThrowIfNull(mask);
        if (strategy != SampleStrategy.Random && classifier is null)
        {
            throw new ArgumentException($"the {strategy.ToString().ToLowerInvariant()} strategy needs a classifier", nameof(classifier));
        }

        var candidates = exchanges
            .Select(e => (Exchange: e, Text: IntentData.MessageOf(e.Prompt)))
            .Where(c => c.Text is not null)
            .Select(c => (c.Exchange, Text: c.Text!))
            .ToList();
        IEnumerable<(RouteExchange Exchange, string Text)> picked;
        switch (strategy)
        {
            case SampleStrategy.Uncertainty:
                picked = candidates
                    .Select(c => (c, Confidence: classifier!.Predict(c.Text).Confidence))
                    .OrderBy(s => s.Confidence).ThenBy(s => s.c.Exchange.RequestId, StringComparer.Ordinal)
                    .Select(s => s.c);
                break;
            case SampleStrategy.Disagreement:
                picked = candidates
                    .Where(c => c.Exchange.Answer is not null && c.Exchange.Deployment?.StartsWith(LocalStage.DeploymentPrefix, StringComparison.Ordinal) != true)
                    .Select(c => (c, Prediction: classifier!.Predict(c.Text)))
                    .Where(s => !string.Equals(s.Prediction.Label, s.c.Exchange.Answer!.Trim(), StringComparison.Ordinal))
                    .OrderByDescending(s => s.Prediction.Confidence).ThenBy(s => s.c.Exchange.RequestId, StringComparer.Ordinal)
                    .Select(s => s.c);
                break;
            default:
                var shuffled = candidates.OrderBy(c => c.Exchange.RequestId, StringComparer.Ordinal).ToArray();
                new Random(seed).Shuffle(shuffled);
                picked = shuffled;
                break;
        }

        return [.. picked.Take(n).Select(c => new LabelItem(c.Exchange.RequestId, mask(classifier is null ? c.Text : classifier.Message(c.Text))))];
    }

    /// <summary>Writes items as the CSV raters fill in: <c>id,text,label</c> with the label empty.</summary>
    public static void WriteCsv(IReadOnlyList<LabelItem> items, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("id,text,label\n");
        foreach (var item in items)
        {
            writer.Write(Quote(item.Id));
            writer.Write(',');
            writer.Write(Quote(item.Text));
            writer.Write(",\n");
        }
    }

    /// <summary>RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.</summary>
    public static string Quote(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
