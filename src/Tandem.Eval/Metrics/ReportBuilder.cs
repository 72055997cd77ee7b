using System.Globalization;
using Tandem.Configuration;
using Tandem.Eval.Running;
using Tandem.Eval.Suites;

namespace Tandem.Eval.Metrics;

/// <summary>Thresholds of the gate; a null threshold is not checked.</summary>
public sealed record VerdictThresholds
{
    /// <summary>Largest allowed accuracy drop of a candidate below the baseline, as a fraction (0.02 = 2 points).</summary>
    public double? MaxAccuracyDrop { get; init; }

    /// <summary>Largest allowed cost per 1,000 cases of a candidate (a deployment without a price fails this check).</summary>
    public decimal? MaxCostPer1kCases { get; init; }

    /// <summary>Largest allowed p95 latency of a candidate.</summary>
    public TimeSpan? MaxP95 { get; init; }

    /// <summary>Largest allowed drop of a candidate's mean judge score below the baseline's (points on the 1–5 scale).</summary>
    public double? MaxScoreDrop { get; init; }
}

/// <summary>Computes the report from a run's records.</summary>
public static class ReportBuilder
{
    private const int MatrixMaxLabels = 20;

    /// <summary>Builds metrics, comparisons and the verdict.</summary>
    public static EvalReport Build(EvalRunResult run, IReadOnlyList<string> deployments, string? baseline, string? judge,
        IReadOnlyDictionary<string, DeploymentConfig> configs, VerdictThresholds thresholds, int seed)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(deployments);
        ArgumentNullException.ThrowIfNull(configs);
        ArgumentNullException.ThrowIfNull(thresholds);
        var cases = run.Suite.Cases.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var answers = run.Records.Where(r => r.Kind == EvalRecord.AnswerKind && cases.ContainsKey(r.CaseId)).ToArray();
        var report = new EvalReport
        {
            Suite = run.Suite.Name,
            Source = run.Suite.Source,
            Cases = run.Suite.Cases.Count,
            Baseline = baseline,
            Judge = judge,
            Seed = seed,
        };

        foreach (var d in deployments)
        {
            var mine = answers.Where(r => r.Deployment == d).ToArray();
            report.Deployments.Add(Metrics(d, configs.GetValueOrDefault(d), mine, cases, run.Suite.Cases.Count));
        }

        if (baseline is not null)
        {
            var theirs = answers.Where(r => r.Deployment == baseline && r.Ok).ToDictionary(r => r.CaseId, StringComparer.Ordinal);
            foreach (var d in deployments.Where(d => d != baseline))
            {
                var mine = answers.Where(r => r.Deployment == d && r.Ok).ToDictionary(r => r.CaseId, StringComparer.Ordinal);
                var pairwise = run.Records.Where(r => r.Kind == EvalRecord.PairwiseKind && r.Deployment == d && r.Ok).ToArray();
                report.Comparisons.Add(Compare(d, baseline, mine, theirs, pairwise, seed));
            }
        }

        report.Verdict = Judge(report, thresholds);
        return report;
    }

    private static DeploymentMetrics Metrics(string name, DeploymentConfig? config, EvalRecord[] records, Dictionary<string, EvalCase> cases, int caseCount)
    {
        var ok = records.Where(r => r.Ok).ToArray();
        var m = new DeploymentMetrics
        {
            Name = name,
            Model = config?.Model,
            Completed = ok.Length,
            Failed = caseCount - ok.Length,
        };

        var scored = ok.Where(r => r.Correct is not null).ToArray();
        if (scored.Length > 0)
        {
            m.Classification = Classification(scored, cases);
        }

        var judged = ok.Where(r => r.JudgeOutcome is not null).ToArray();
        if (judged.Length > 0)
        {
            var scores = judged.Where(r => r.JudgeScore is not null).Select(r => (double)r.JudgeScore!.Value).ToArray();
            var (mean, low, high) = Statistics.MeanInterval(scores);
            var j = new JudgeMetrics { Scored = scores.Length, Unparseable = judged.Count(r => r.JudgeOutcome == "unparseable"), Mean = mean, Low = low, High = high };
            foreach (var s in scores)
            {
                j.Distribution[(int)s - 1]++;
            }

            m.Judge = j;
        }

        var latencies = ok.Select(r => r.LatencyMs).Order().ToArray();
        if (latencies.Length > 0)
        {
            m.Latency = new LatencyMetrics
            {
                P50 = Statistics.Quantile(latencies, 0.50),
                P95 = Statistics.Quantile(latencies, 0.95),
                P99 = Statistics.Quantile(latencies, 0.99),
                Mean = latencies.Average(),
            };
        }

        m.Tokens = new TokenMetrics
        {
            Prompt = ok.Sum(r => (long)r.PromptTokens),
            Completion = ok.Sum(r => (long)r.CompletionTokens),
            WithoutUsage = ok.Count(r => !r.UsageReported),
            Judge = ok.Sum(r => (long)r.JudgeTokens),
        };

        // The gateway's own price model (deployments[i].pricing, else the shipped price table). A fixed-cost
        // deployment counts only its marginal per-token cost here: its capacity is paid whether the suite runs or not.
        if (config is not null && Tandem.Costs.DeploymentPrice.For(config) is { Kind: not Tandem.Costs.PriceKind.Unpriced } price && ok.Length > 0)
        {
            var total = price.CostOf(m.Tokens.Prompt, 0, m.Tokens.Completion, 0);
            m.Cost = new CostMetrics { Total = total, Per1kCases = total * 1000m / ok.Length };
        }

        return m;
    }

    private static ClassificationMetrics Classification(EvalRecord[] scored, Dictionary<string, EvalCase> cases)
    {
        var correct = scored.Count(r => r.Correct == true);
        var invalid = scored.Count(r => r.Invalid);
        var (low, high) = Statistics.Wilson(correct, scored.Length);
        var c = new ClassificationMetrics
        {
            Scored = scored.Length,
            Correct = correct,
            Accuracy = correct / (double)scored.Length,
            AccuracyLow = low,
            AccuracyHigh = high,
            Invalid = invalid,
            InvalidRate = invalid / (double)scored.Length,
        };

        var labelled = scored.Where(r => cases[r.CaseId].Kind == CaseKind.Classification).Select(r => (Gold: cases[r.CaseId].Label!, r.Predicted)).ToArray();
        if (labelled.Length == 0)
        {
            return c;
        }

        var gold = labelled.Select(p => p.Gold).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        foreach (var label in gold)
        {
            var tp = labelled.Count(p => p.Gold == label && p.Predicted == label);
            var support = labelled.Count(p => p.Gold == label);
            var predicted = labelled.Count(p => p.Predicted == label);
            var precision = predicted == 0 ? 0 : tp / (double)predicted;
            var recall = support == 0 ? 0 : tp / (double)support;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            c.PerClass.Add(new ClassMetrics(label, support, precision, recall, f1));
        }

        c.MacroF1 = c.PerClass.Average(p => p.F1);
        var mistakes = labelled.Where(p => p.Predicted is not null && p.Predicted != p.Gold)
            .GroupBy(p => (p.Gold, Predicted: p.Predicted!))
            .Select(g => new Confusion(g.Key.Gold, g.Key.Predicted, g.Count()))
            .OrderByDescending(x => x.Count).ThenBy(x => x.Expected, StringComparer.Ordinal).ThenBy(x => x.Predicted, StringComparer.Ordinal)
            .ToList();
        c.TopConfusions = mistakes.Take(10).ToList();

        // Heat map: every label when few, else the labels most involved in mistakes.
        var all = gold.Union(labelled.Where(p => p.Predicted is not null).Select(p => p.Predicted!)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var matrixLabels = all.Count <= MatrixMaxLabels
            ? all
            : mistakes.SelectMany(x => new[] { (x.Expected, x.Count), (x.Predicted, x.Count) })
                .GroupBy(x => x.Item1).Select(g => (Label: g.Key, Weight: g.Sum(x => x.Count)))
                .OrderByDescending(x => x.Weight).ThenBy(x => x.Label, StringComparer.Ordinal)
                .Take(MatrixMaxLabels).Select(x => x.Label).Order(StringComparer.Ordinal).ToList();
        var index = matrixLabels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        var matrix = matrixLabels.Select(_ => new List<int>(new int[matrixLabels.Count])).ToList();
        foreach (var (g, p) in labelled)
        {
            if (p is not null && index.TryGetValue(g, out var gi) && index.TryGetValue(p, out var pi))
            {
                matrix[gi][pi]++;
            }
        }

        c.MatrixLabels = matrixLabels;
        c.Matrix = matrix;
        return c;
    }

    private static Comparison Compare(string candidate, string baseline, Dictionary<string, EvalRecord> mine, Dictionary<string, EvalRecord> theirs, EvalRecord[] pairwise, int seed)
    {
        var cmp = new Comparison { Candidate = candidate, Baseline = baseline };
        var paired = mine.Values.Where(r => r.Correct is not null && theirs.TryGetValue(r.CaseId, out var t) && t.Correct is not null)
            .OrderBy(r => r.CaseId, StringComparer.Ordinal).ToArray();
        cmp.PairedCases = paired.Length;
        if (paired.Length > 0)
        {
            var a = paired.Select(r => theirs[r.CaseId].Correct == true ? 1.0 : 0.0).ToArray();
            var b = paired.Select(r => r.Correct == true ? 1.0 : 0.0).ToArray();
            var (diff, low, high) = Statistics.PairedBootstrap(a, b, seed);
            cmp.AccuracyDifference = diff;
            cmp.AccuracyDifferenceLow = low;
            cmp.AccuracyDifferenceHigh = high;
            var baselineOnly = paired.Count(r => theirs[r.CaseId].Correct == true && r.Correct != true);
            var candidateOnly = paired.Count(r => theirs[r.CaseId].Correct != true && r.Correct == true);
            var (chi, p) = Statistics.McNemar(baselineOnly, candidateOnly);
            cmp.BaselineOnlyCorrect = baselineOnly;
            cmp.CandidateOnlyCorrect = candidateOnly;
            cmp.McNemarChiSquare = chi;
            cmp.McNemarP = p;
        }

        var scorePairs = mine.Values.Where(r => r.JudgeScore is not null && theirs.TryGetValue(r.CaseId, out var t) && t.JudgeScore is not null)
            .OrderBy(r => r.CaseId, StringComparer.Ordinal).ToArray();
        cmp.ScorePairs = scorePairs.Length;
        if (scorePairs.Length > 0)
        {
            var (diff, low, high) = Statistics.PairedBootstrap(
                scorePairs.Select(r => (double)theirs[r.CaseId].JudgeScore!.Value).ToArray(),
                scorePairs.Select(r => (double)r.JudgeScore!.Value).ToArray(), seed);
            cmp.ScoreDifference = diff;
            cmp.ScoreDifferenceLow = low;
            cmp.ScoreDifferenceHigh = high;
        }

        if (pairwise.Length > 0)
        {
            cmp.Pairwise = new PairwiseCounts(
                pairwise.Count(r => r.Winner == "candidate"),
                pairwise.Count(r => r.Winner == "baseline"),
                pairwise.Count(r => r.Winner == "tie"),
                pairwise.Count(r => r.Winner == "inconsistent"),
                pairwise.Count(r => r.Winner == "unparseable"));
        }

        return cmp;
    }

    private static Verdict Judge(EvalReport report, VerdictThresholds t)
    {
        var v = new Verdict();
        var inv = CultureInfo.InvariantCulture;
        foreach (var d in report.Deployments)
        {
            // A gate must not pass on partial evidence: every deployment needs a result for every case.
            v.Checks.Add(new VerdictCheck(d.Name, "complete", $"{d.Completed}/{report.Cases}", $"{report.Cases}/{report.Cases}", d.Failed == 0));
        }

        var candidates = report.Deployments.Where(d => d.Name != report.Baseline).ToArray();
        foreach (var d in candidates)
        {
            var cmp = report.Comparisons.FirstOrDefault(c => c.Candidate == d.Name);
            if (t.MaxAccuracyDrop is { } maxDrop && cmp is not null)
            {
                var drop = cmp.AccuracyDifference is { } diff ? -diff : double.NaN;
                v.Checks.Add(new VerdictCheck(d.Name, "accuracy drop vs " + report.Baseline,
                    double.IsNaN(drop) ? "n/a" : drop.ToString("P1", inv), "≤ " + maxDrop.ToString("P1", inv), !double.IsNaN(drop) && drop <= maxDrop + 1e-12));
            }

            if (t.MaxScoreDrop is { } maxScoreDrop && cmp is not null)
            {
                var drop = cmp.ScoreDifference is { } diff ? -diff : double.NaN;
                v.Checks.Add(new VerdictCheck(d.Name, "judge score drop vs " + report.Baseline,
                    double.IsNaN(drop) ? "n/a" : drop.ToString("0.00", inv), "≤ " + maxScoreDrop.ToString("0.00", inv), !double.IsNaN(drop) && drop <= maxScoreDrop + 1e-12));
            }

            if (t.MaxCostPer1kCases is { } maxCost)
            {
                v.Checks.Add(d.Cost is { } cost
                    ? new VerdictCheck(d.Name, "cost per 1k cases", cost.Per1kCases.ToString("0.####", inv), "≤ " + maxCost.ToString("0.####", inv), cost.Per1kCases <= maxCost)
                    : new VerdictCheck(d.Name, "cost per 1k cases", "no price configured", "≤ " + maxCost.ToString("0.####", inv), false));
            }

            if (t.MaxP95 is { } maxP95)
            {
                v.Checks.Add(new VerdictCheck(d.Name, "p95 latency", d.Latency.P95.ToString("0", inv) + " ms", "≤ " + maxP95.TotalMilliseconds.ToString("0", inv) + " ms",
                    d.Completed > 0 && d.Latency.P95 <= maxP95.TotalMilliseconds));
            }
        }

        v.Passed = v.Checks.All(c => c.Passed);
        return v;
    }
}
