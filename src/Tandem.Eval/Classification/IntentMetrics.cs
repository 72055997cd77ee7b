using Tandem.Classification;

namespace Tandem.Eval.Classification;

/// <summary>A prediction beside the expected label.</summary>
/// <param name="Expected">The gold label.</param>
/// <param name="Predicted">The classifier's label.</param>
/// <param name="Confidence">Its probability.</param>
public readonly record struct ScoredIntent(string Expected, string Predicted, double Confidence)
{
    /// <summary>Whether the prediction is right.</summary>
    public bool Correct => string.Equals(Expected, Predicted, StringComparison.Ordinal);
}

/// <summary>Accuracy and coverage of the answers at or above a confidence threshold.</summary>
/// <param name="Threshold">The threshold.</param>
/// <param name="Answered">Queries at or above it.</param>
/// <param name="Correct">Of those, answered right.</param>
/// <param name="Total">All queries.</param>
public sealed record CoveragePoint(double Threshold, int Answered, int Correct, int Total)
{
    /// <summary>Share of queries answered.</summary>
    public double Coverage => Total == 0 ? 0 : Answered / (double)Total;

    /// <summary>Share of the answered ones that are right (1 when none was answered).</summary>
    public double Accuracy => Answered == 0 ? 1 : Correct / (double)Answered;
}

/// <summary>What a classifier measured on a labelled set.</summary>
public sealed record IntentReport
{
    /// <summary>Queries scored.</summary>
    public int Total { get; init; }

    /// <summary>Accuracy over every query at full coverage.</summary>
    public double Accuracy { get; init; }

    /// <summary>The out-of-scope label, when one was named.</summary>
    public string? OutOfScope { get; init; }

    /// <summary>In-scope queries (gold label not the out-of-scope one).</summary>
    public int InScope { get; init; }

    /// <summary>Accuracy over the in-scope queries at full coverage (predicting out-of-scope for one is wrong).</summary>
    public double InScopeAccuracy { get; init; }

    /// <summary>Out-of-scope queries.</summary>
    public int OutOfScopeCount { get; init; }

    /// <summary>Share of out-of-scope queries predicted as out-of-scope.</summary>
    public double OutOfScopeRecall { get; init; }

    /// <summary>Share of out-of-scope queries predicted as out-of-scope or left below the threshold (sent to the LLM).</summary>
    public double OutOfScopeRecallWithThreshold { get; init; }

    /// <summary>The model's calibrated threshold measured here, over every query.</summary>
    public required CoveragePoint AtThreshold { get; init; }

    /// <summary>The same threshold over the in-scope queries only.</summary>
    public required CoveragePoint InScopeAtThreshold { get; init; }

    /// <summary>Accuracy against coverage at fixed thresholds.</summary>
    public required IReadOnlyList<CoveragePoint> Curve { get; init; }

    /// <summary>The most coverage with at least the model's target accuracy on this very set (an oracle threshold, for comparison).</summary>
    public required CoveragePoint BestAtTarget { get; init; }
}

/// <summary>Scoring, calibration and the accuracy-versus-coverage report.</summary>
public static class IntentMetrics
{
    /// <summary>The thresholds of the printed curve.</summary>
    public static IReadOnlyList<double> CurveThresholds { get; } = [0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99];

    /// <summary>Predicts every example.</summary>
    public static List<ScoredIntent> Predict(IntentClassifier classifier, IReadOnlyList<IntentExample> examples)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(examples);
        return examples.Select(e =>
        {
            var p = classifier.Predict(e.Text);
            return new ScoredIntent(e.Label, p.Label, p.Confidence);
        }).ToList();
    }

    /// <summary>Answers at or above <paramref name="threshold"/>.</summary>
    public static CoveragePoint At(IReadOnlyList<ScoredIntent> scored, double threshold)
    {
        ArgumentNullException.ThrowIfNull(scored);
        var answered = scored.Where(s => s.Confidence >= threshold).ToList();
        return new CoveragePoint(threshold, answered.Count, answered.Count(s => s.Correct), scored.Count);
    }

    /// <summary>
    /// The lowest threshold whose answers reach <paramref name="target"/> accuracy: confidences are taken from the
    /// highest down, and the longest run whose accuracy is at least the target wins (the threshold is the confidence
    /// of its last query). When no run reaches it, the threshold is +∞: the classifier never answers.
    /// </summary>
    public static IntentCalibration Calibrate(IReadOnlyList<ScoredIntent> scored, double target)
    {
        var best = Best(scored, target);
        return new IntentCalibration(best.Threshold, target, best.Answered == 0 ? double.NaN : best.Accuracy, best.Coverage);
    }

    /// <summary>The report of <paramref name="scored"/> at the classifier's threshold.</summary>
    public static IntentReport Report(IReadOnlyList<ScoredIntent> scored, IntentCalibration calibration, string? outOfScope)
    {
        ArgumentNullException.ThrowIfNull(scored);
        ArgumentNullException.ThrowIfNull(calibration);
        var inScope = scored.Where(s => outOfScope is null || s.Expected != outOfScope).ToList();
        var oos = outOfScope is null ? [] : scored.Where(s => s.Expected == outOfScope).ToList();
        return new IntentReport
        {
            Total = scored.Count,
            Accuracy = Share(scored, s => s.Correct),
            OutOfScope = outOfScope,
            InScope = inScope.Count,
            InScopeAccuracy = Share(inScope, s => s.Correct),
            OutOfScopeCount = oos.Count,
            OutOfScopeRecall = Share(oos, s => s.Correct),
            OutOfScopeRecallWithThreshold = Share(oos, s => s.Correct || s.Confidence < calibration.Threshold),
            AtThreshold = At(scored, calibration.Threshold),
            InScopeAtThreshold = At(inScope, calibration.Threshold),
            Curve = [.. CurveThresholds.Select(t => At(scored, t))],
            BestAtTarget = Best(scored, calibration.TargetAccuracy),
        };
    }

    private static CoveragePoint Best(IReadOnlyList<ScoredIntent> scored, double target)
    {
        ArgumentNullException.ThrowIfNull(scored);
        var sorted = scored.OrderByDescending(s => s.Confidence).ToList();
        var best = new CoveragePoint(double.PositiveInfinity, 0, 0, scored.Count);
        var correct = 0;
        for (var i = 0; i < sorted.Count; i++)
        {
            correct += sorted[i].Correct ? 1 : 0;

            // A threshold cannot split equal confidences: only the last of a tie is a place to cut.
            if (i + 1 < sorted.Count && sorted[i + 1].Confidence == sorted[i].Confidence)
            {
                continue;
            }

            if (correct >= (target * (i + 1)) - 1e-9)
            {
                best = new CoveragePoint(sorted[i].Confidence, i + 1, correct, scored.Count);
            }
        }

        return best;
    }

    private static double Share(IReadOnlyList<ScoredIntent> items, Func<ScoredIntent, bool> predicate) =>
        items.Count == 0 ? double.NaN : items.Count(predicate) / (double)items.Count;
}
