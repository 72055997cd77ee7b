using System.Text.Json.Serialization;

namespace Tandem.Eval.Metrics;

#pragma warning disable CA2227 // Report DTOs are filled by the builder and serialised; setters keep source generation simple.

/// <summary>Everything an eval run found; serialised as <c>report.json</c> and rendered as console tables and HTML.</summary>
public sealed record EvalReport
{
    /// <summary>Suite name.</summary>
    public string Suite { get; set; } = "";

    /// <summary>Where the cases came from.</summary>
    public string? Source { get; set; }

    /// <summary>Cases run.</summary>
    public int Cases { get; set; }

    /// <summary>The baseline deployment, when one was named.</summary>
    public string? Baseline { get; set; }

    /// <summary>The judge deployment, when one was used.</summary>
    public string? Judge { get; set; }

    /// <summary>Seed of the bootstrap.</summary>
    public int Seed { get; set; }

    /// <summary>Per-deployment metrics, in the order given.</summary>
    public List<DeploymentMetrics> Deployments { get; set; } = [];

    /// <summary>Each candidate against the baseline.</summary>
    public List<Comparison> Comparisons { get; set; } = [];

    /// <summary>The gate.</summary>
    public Verdict Verdict { get; set; } = new();
}

/// <summary>One deployment's results.</summary>
public sealed record DeploymentMetrics
{
    /// <summary>Deployment name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Upstream model id.</summary>
    public string? Model { get; set; }

    /// <summary>Cases with a final result.</summary>
    public int Completed { get; set; }

    /// <summary>Cases that failed after retries (re-run to resume them).</summary>
    public int Failed { get; set; }

    /// <summary>Right/wrong metrics over classification and extraction cases.</summary>
    public ClassificationMetrics? Classification { get; set; }

    /// <summary>Judge scores over generation cases.</summary>
    public JudgeMetrics? Judge { get; set; }

    /// <summary>Latency of successful calls.</summary>
    public LatencyMetrics Latency { get; set; } = new();

    /// <summary>Token totals.</summary>
    public TokenMetrics Tokens { get; set; } = new();

    /// <summary>Cost; null when the deployment has no price configured (tokens are still reported).</summary>
    public CostMetrics? Cost { get; set; }
}

/// <summary>Accuracy and per-class metrics.</summary>
public sealed record ClassificationMetrics
{
    /// <summary>Cases scored right or wrong.</summary>
    public int Scored { get; set; }

    /// <summary>Right answers.</summary>
    public int Correct { get; set; }

    /// <summary>Correct / scored.</summary>
    public double Accuracy { get; set; }

    /// <summary>Wilson 95 % interval, low end.</summary>
    public double AccuracyLow { get; set; }

    /// <summary>Wilson 95 % interval, high end.</summary>
    public double AccuracyHigh { get; set; }

    /// <summary>Mean F1 over the expected labels (classification cases only).</summary>
    public double MacroF1 { get; set; }

    /// <summary>Share of answers that were no valid output (no known label, no JSON object).</summary>
    public double InvalidRate { get; set; }

    /// <summary>Invalid answers.</summary>
    public int Invalid { get; set; }

    /// <summary>Per expected label.</summary>
    public List<ClassMetrics> PerClass { get; set; } = [];

    /// <summary>The most frequent (expected → predicted) mistakes.</summary>
    public List<Confusion> TopConfusions { get; set; } = [];

    /// <summary>Labels of <see cref="Matrix"/> (the most confused ones when there are many).</summary>
    public List<string> MatrixLabels { get; set; } = [];

    /// <summary>Counts, [expected][predicted], over <see cref="MatrixLabels"/> (invalid answers excluded).</summary>
    public List<List<int>> Matrix { get; set; } = [];
}

/// <summary>Precision, recall and F1 of one label.</summary>
public sealed record ClassMetrics(string Label, int Support, double Precision, double Recall, double F1);

/// <summary>A frequent mistake.</summary>
public sealed record Confusion(string Expected, string Predicted, int Count);

/// <summary>Judge scores.</summary>
public sealed record JudgeMetrics
{
    /// <summary>Cases with a readable score.</summary>
    public int Scored { get; set; }

    /// <summary>Verdicts that could not be read (counted, never guessed).</summary>
    public int Unparseable { get; set; }

    /// <summary>Mean score (1–5).</summary>
    public double Mean { get; set; }

    /// <summary>95 % interval, low end.</summary>
    public double Low { get; set; }

    /// <summary>95 % interval, high end.</summary>
    public double High { get; set; }

    /// <summary>Scores 1..5 counted.</summary>
    public List<int> Distribution { get; set; } = [0, 0, 0, 0, 0];
}

/// <summary>Latency percentiles, in milliseconds.</summary>
public sealed record LatencyMetrics
{
    /// <summary>Median.</summary>
    public double P50 { get; set; }

    /// <summary>95th percentile.</summary>
    public double P95 { get; set; }

    /// <summary>99th percentile.</summary>
    public double P99 { get; set; }

    /// <summary>Mean.</summary>
    public double Mean { get; set; }
}

/// <summary>Token totals.</summary>
public sealed record TokenMetrics
{
    /// <summary>Prompt tokens.</summary>
    public long Prompt { get; set; }

    /// <summary>Completion tokens.</summary>
    public long Completion { get; set; }

    /// <summary>Answers whose upstream reported no usage (not counted above).</summary>
    public int WithoutUsage { get; set; }

    /// <summary>Tokens the judge spent on this deployment's answers.</summary>
    public long Judge { get; set; }
}

/// <summary>Cost from the deployment's configured price.</summary>
public sealed record CostMetrics
{
    /// <summary>Total over the run.</summary>
    public decimal Total { get; set; }

    /// <summary>Per 1,000 cases.</summary>
    public decimal Per1kCases { get; set; }
}

/// <summary>A candidate against the baseline over the cases both answered.</summary>
public sealed record Comparison
{
    /// <summary>The candidate.</summary>
    public string Candidate { get; set; } = "";

    /// <summary>The baseline.</summary>
    public string Baseline { get; set; } = "";

    /// <summary>Cases scored right/wrong for both.</summary>
    public int PairedCases { get; set; }

    /// <summary>Candidate accuracy − baseline accuracy on the paired cases.</summary>
    public double? AccuracyDifference { get; set; }

    /// <summary>Paired-bootstrap 95 % interval, low end.</summary>
    public double? AccuracyDifferenceLow { get; set; }

    /// <summary>Paired-bootstrap 95 % interval, high end.</summary>
    public double? AccuracyDifferenceHigh { get; set; }

    /// <summary>McNemar: baseline right, candidate wrong.</summary>
    public int? BaselineOnlyCorrect { get; set; }

    /// <summary>McNemar: baseline wrong, candidate right.</summary>
    public int? CandidateOnlyCorrect { get; set; }

    /// <summary>McNemar χ² (continuity-corrected).</summary>
    [JsonPropertyName("mcnemar_chi_square")]
    public double? McNemarChiSquare { get; set; }

    /// <summary>McNemar exact two-sided p-value.</summary>
    [JsonPropertyName("mcnemar_p")]
    public double? McNemarP { get; set; }

    /// <summary>Cases judged for both.</summary>
    public int ScorePairs { get; set; }

    /// <summary>Candidate mean score − baseline mean score.</summary>
    public double? ScoreDifference { get; set; }

    /// <summary>Paired-bootstrap 95 % interval, low end.</summary>
    public double? ScoreDifferenceLow { get; set; }

    /// <summary>Paired-bootstrap 95 % interval, high end.</summary>
    public double? ScoreDifferenceHigh { get; set; }

    /// <summary>Pairwise judge: candidate wins, baseline wins, ties (inconsistent orders included), unparseable.</summary>
    public PairwiseCounts? Pairwise { get; set; }
}

/// <summary>Pairwise judgements of a candidate against the baseline.</summary>
public sealed record PairwiseCounts(int CandidateWins, int BaselineWins, int Ties, int Inconsistent, int Unparseable)
{
    /// <summary>(wins + ties/2) / readable judgements.</summary>
    public double WinRate
    {
        get
        {
            var n = CandidateWins + BaselineWins + Ties + Inconsistent;
            return n == 0 ? double.NaN : (CandidateWins + ((Ties + Inconsistent) / 2.0)) / n;
        }
    }
}

/// <summary>The gate's result.</summary>
public sealed record Verdict
{
    /// <summary>Whether every check passed.</summary>
    public bool Passed { get; set; } = true;

    /// <summary>The checks, one per (deployment, threshold).</summary>
    public List<VerdictCheck> Checks { get; set; } = [];
}

/// <summary>One threshold checked for one deployment.</summary>
public sealed record VerdictCheck(string Deployment, string Check, string Value, string Limit, bool Passed);

#pragma warning restore CA2227
