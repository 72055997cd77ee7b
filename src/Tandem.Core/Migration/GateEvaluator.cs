using System.Globalization;
using Tandem.Configuration;

namespace Tandem.Migration;

/// <summary>One gate's result.</summary>
/// <param name="Name">Gate name, e.g. <c>agreement</c>.</param>
/// <param name="Value">The measured value (null when it cannot be measured yet).</param>
/// <param name="Threshold">The bound, as written (e.g. <c>≥ 0.90</c>).</param>
/// <param name="Samples">Samples behind the value.</param>
/// <param name="Passed">Whether it passes.</param>
public sealed record GateResult(string Name, double? Value, string Threshold, int Samples, bool Passed);

/// <summary>The evidence of one evaluation.</summary>
public sealed record GateReport
{
    /// <summary>Compared samples (both answers present).</summary>
    public int Compared { get; init; }

    /// <summary>Every sample of the stage.</summary>
    public int Samples { get; init; }

    /// <summary>Agreement rate among compared samples.</summary>
    public double? Agreement { get; init; }

    /// <summary>Wilson 95 % interval of the agreement.</summary>
    public (double Low, double High)? AgreementInterval { get; init; }

    /// <summary>Candidate error rate.</summary>
    public double? CandidateErrorRate { get; init; }

    /// <summary>Candidate p95 latency (ms).</summary>
    public double? CandidateP95Ms { get; init; }

    /// <summary>Incumbent p95 latency (ms).</summary>
    public double? IncumbentP95Ms { get; init; }

    /// <summary>Mean candidate cost per request.</summary>
    public double? CandidateCostPerRequest { get; init; }

    /// <summary>Mean judge score.</summary>
    public double? JudgeScore { get; init; }

    /// <summary>Time spent in the stage.</summary>
    public TimeSpan InStage { get; init; }

    /// <summary>Each gate.</summary>
    public IReadOnlyList<GateResult> Gates { get; init; } = [];

    /// <summary>The most frequent disagreements (incumbent label → candidate label).</summary>
    public IReadOnlyList<(string Incumbent, string Candidate, int Count)> TopDisagreements { get; init; } = [];

    /// <summary>Whether every gate passes.</summary>
    public bool AllPassed => Gates.All(g => g.Passed);

    /// <summary>Whether a quality gate (not the sample-count or duration gate) fails on enough evidence.</summary>
    public bool QualityFailed => Gates.Any(g => !g.Passed && g.Name is not ("samples" or "duration") && g.Value is not null);
}

/// <summary>Evaluates a stage's gates from its samples.</summary>
public static class GateEvaluator
{
    /// <summary>Builds the report for samples taken since the stage began.</summary>
    public static GateReport Evaluate(GatesConfig gates, IReadOnlyList<ShadowSample> samples, TimeSpan inStage)
    {
        ArgumentNullException.ThrowIfNull(gates);
        ArgumentNullException.ThrowIfNull(samples);
        var compared = samples.Where(s => s.Agree is not null).ToList();
        var agreeing = compared.Count(s => s.Agree == true);
        double? agreement = compared.Count > 0 ? agreeing / (double)compared.Count : null;
        var interval = compared.Count > 0 ? Statistics.Wilson(agreeing, compared.Count) : ((double, double)?)null;
        var candidateTried = samples.Where(s => s.CandidateAnswer is not null || s.CandidateError is not null).ToList();
        double? errorRate = candidateTried.Count > 0 ? candidateTried.Count(s => s.CandidateError is not null) / (double)candidateTried.Count : null;
        var candLat = samples.Where(s => s.CandidateError is null && s.CandidateLatencyMs is not null).Select(s => s.CandidateLatencyMs!.Value).ToList();
        var incLat = samples.Where(s => s.IncumbentError is null && s.IncumbentLatencyMs is not null).Select(s => s.IncumbentLatencyMs!.Value).ToList();
        double? candP95 = candLat.Count > 0 ? Statistics.Percentile(candLat, 0.95) : null;
        double? incP95 = incLat.Count > 0 ? Statistics.Percentile(incLat, 0.95) : null;
        var costs = samples.Where(s => s.CandidateCost is not null).Select(s => s.CandidateCost!.Value).ToList();
        double? cost = costs.Count > 0 ? costs.Average() : null;
        var scores = samples.Where(s => s.JudgeScore is not null).Select(s => s.JudgeScore!.Value).ToList();
        double? judge = scores.Count > 0 ? scores.Average() : null;
        ConfigLoader.TryParseDuration(gates.MinDuration, out var minDuration);

        var results = new List<GateResult>
        {
            new("samples", compared.Count, $">= {gates.MinSamples}", compared.Count, compared.Count >= gates.MinSamples),
            new("duration", inStage.TotalMinutes, $">= {minDuration.TotalMinutes.ToString("0.##", CultureInfo.InvariantCulture)} min", samples.Count, inStage >= minDuration),
        };
        if (gates.MinAgreement is double minAgreement)
        {
            var judged = gates.UseLowerBound ? interval?.Item1 : agreement;
            results.Add(new("agreement", judged, $">= {F(minAgreement)}{(gates.UseLowerBound ? " (95% lower bound)" : "")}", compared.Count, judged >= minAgreement));
        }

        if (gates.MaxErrorRate is double maxError)
        {
            results.Add(new("candidate_error_rate", errorRate, $"<= {F(maxError)}", candidateTried.Count, errorRate is null || errorRate <= maxError));
        }

        if (gates.MaxP95Ms is double maxP95)
        {
            results.Add(new("candidate_p95_ms", candP95, $"<= {F(maxP95)}", candLat.Count, candP95 is null || candP95 <= maxP95));
        }

        if (gates.MaxP95Ratio is double ratio)
        {
            double? r = candP95 is not null && incP95 is > 0 ? candP95 / incP95 : null;
            results.Add(new("p95_ratio", r, $"<= {F(ratio)} x incumbent", candLat.Count, r is null || r <= ratio));
        }

        if (gates.MaxCostPerRequest is double maxCost)
        {
            // Dollars per request are small (0.00042): three decimals would show such a bound as "<= 0".
            results.Add(new("cost_per_request", cost, $"<= {maxCost.ToString("0.##########", CultureInfo.InvariantCulture)}", costs.Count, cost is null || cost <= maxCost));
        }

        if (gates.MinJudgeScore is double minJudge)
        {
            results.Add(new("judge_score", judge, $">= {F(minJudge)}", scores.Count, judge >= minJudge));
        }

        var disagreements = compared.Where(s => s.Agree == false)
            .GroupBy(s => (s.IncumbentLabel ?? "?", s.CandidateLabel ?? "?"))
            .Select(g => (g.Key.Item1, g.Key.Item2, g.Count()))
            .OrderByDescending(t => t.Item3).ThenBy(t => t.Item1, StringComparer.Ordinal)
            .Take(10).ToList();

        return new GateReport
        {
            Compared = compared.Count,
            Samples = samples.Count,
            Agreement = agreement,
            AgreementInterval = interval,
            CandidateErrorRate = errorRate,
            CandidateP95Ms = candP95,
            IncumbentP95Ms = incP95,
            CandidateCostPerRequest = cost,
            JudgeScore = judge,
            InStage = inStage,
            Gates = results,
            TopDisagreements = disagreements,
        };

        static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
    }
}

/// <summary>Small statistics used by gates and reports.</summary>
public static class Statistics
{
    /// <summary>Wilson score interval for a proportion at 95 % (z = 1.96).</summary>
    public static (double Low, double High) Wilson(int successes, int trials, double z = 1.96)
    {
        if (trials <= 0)
        {
            return (0, 1);
        }

        var p = successes / (double)trials;
        var z2 = z * z;
        var denominator = 1 + (z2 / trials);
        var centre = (p + (z2 / (2 * trials))) / denominator;
        var half = z * Math.Sqrt((p * (1 - p) / trials) + (z2 / (4.0 * trials * trials))) / denominator;
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>The q-quantile (0–1) by linear interpolation between closest ranks.</summary>
    public static double Percentile(IReadOnlyList<double> values, double q)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = q * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + ((sorted[hi] - sorted[lo]) * (rank - lo));
    }
}
