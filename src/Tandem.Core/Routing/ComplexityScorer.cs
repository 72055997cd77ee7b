namespace Tandem.Routing;

/// <summary>Scores how hard a request is, from 0 (trivial) to 1 (hardest), for complexity tiers.</summary>
public interface IComplexityScorer
{
    /// <summary>The scorer's name, as configured in <c>tiers.scorer</c>.</summary>
    string Name { get; }

    /// <summary>Scores one request.</summary>
    double Score(RequestView request);
}

/// <summary>
/// The built-in <c>features</c> scorer: a transparent weighted sum of request features, each clipped to [0, 1].
/// <list type="bullet">
/// <item>length, 0.35: estimated prompt tokens on a log scale, 1 at 2,000 tokens;</item>
/// <item>reasoning cues, 0.30: words such as "why", "explain", "compare", "prove", "step by step", "analyse",
/// "design", "trade-off" (0.1 each, up to 1);</item>
/// <item>code and math, 0.15: code fences, braces and semicolons, or equations and math words;</item>
/// <item>conversation, 0.10: turns beyond the first (0.25 each);</item>
/// <item>structure, 0.10: tools or a JSON response format requested.</item>
/// </list>
/// Short classification-style queries score under 0.2; long analytical ones over 0.7. A learned scorer can
/// replace it behind the same interface.
/// </summary>
public sealed class FeatureComplexityScorer : IComplexityScorer
{
    private static readonly string[] ReasoningCues =
        ["why", "explain", "compare", "prove", "step by step", "analyse", "analyze", "design", "trade-off", "tradeoff",
         "evaluate", "derive", "reason", "justify", "optimi", "architecture", "implications", "pros and cons"];

    private static readonly string[] MathCues = ["integral", "derivative", "equation", "theorem", "matrix", "probability", "=", "∑", "√"];

    /// <inheritdoc />
    public string Name => "features";

    /// <inheritdoc />
    public double Score(RequestView request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = request.Text;
        var lower = text.ToLowerInvariant();

        var length = Math.Clamp(Math.Log(1 + request.EstimatedPromptTokens) / Math.Log(1 + 2000), 0, 1);

        var cues = 0;
        foreach (var cue in ReasoningCues)
        {
            if (lower.Contains(cue, StringComparison.Ordinal))
            {
                cues++;
            }
        }

        var reasoning = Math.Min(1, cues * 0.1 * 2.5);

        var code = lower.Contains("```", StringComparison.Ordinal) || (lower.Count(c => c is '{' or '}' or ';') >= 6) ? 1.0 : 0.0;
        var math = MathCues.Count(c => lower.Contains(c, StringComparison.Ordinal)) >= 2 ? 1.0 : 0.0;
        var codeMath = Math.Max(code, math);

        var conversation = Math.Min(1, Math.Max(0, request.UserTurns - 1) * 0.25);
        var structure = request.HasTools || request.ResponseFormat is "json_object" or "json_schema" ? 1.0 : 0.0;

        return Math.Clamp((0.35 * length) + (0.30 * reasoning) + (0.15 * codeMath) + (0.10 * conversation) + (0.10 * structure), 0, 1);
    }
}
