namespace Tandem.Configuration;

/// <summary>Moving a route from its incumbent to a candidate: shadow → canary → cutover → full, gated by evidence.</summary>
public sealed record MigrationConfig
{
    /// <summary>The candidate deployment.</summary>
    public string To { get; set; } = "";

    /// <summary>The stage a new migration starts in (state stored by Tandem wins once it exists).</summary>
    public string Stage { get; set; } = "shadow";

    /// <summary>Advance when every gate passes, roll back when one fails during canary or cutover.</summary>
    public bool Auto { get; set; }

    /// <summary>Share of requests shadowed (the other deployment called beside the served one).</summary>
    public double ShadowRate { get; set; } = 1.0;

    /// <summary>Shadow calls in flight at once; more wait in the queue.</summary>
    public int ShadowConcurrency { get; set; } = 4;

    /// <summary>Shadow calls that may wait; beyond it they are dropped and counted.</summary>
    public int ShadowQueue { get; set; } = 1000;

    /// <summary>Canary traffic shares in percent, in order.</summary>
    public IReadOnlyList<double> CanarySteps { get; set; } = [5, 25, 50];

    /// <summary>How answers are compared.</summary>
    public CompareConfig Compare { get; set; } = new();

    /// <summary>Gates every stage must pass to advance.</summary>
    public GatesConfig Gates { get; set; } = new();

    /// <summary>How often gates are evaluated.</summary>
    public string EvaluateEvery { get; set; } = "30s";

    /// <summary>A deployment that scores the candidate's answers (1–5) for the <c>min_judge_score</c> gate.</summary>
    public string? Judge { get; set; }

    /// <summary>Share of compared samples the judge scores (judge calls cost tokens).</summary>
    public double JudgeRate { get; set; } = 1.0;

    /// <summary>
    /// How long gates may hold the migration in one stage (failing) before it is stopped (rolled back) automatically,
    /// e.g. <c>7d</c>; null holds it until someone acts. Applies with or without <see cref="Auto"/>.
    /// </summary>
    public string? HoldLimit { get; set; }
}

/// <summary>Answer comparison for a route type.</summary>
public sealed record CompareConfig
{
    /// <summary><c>classification</c>, <c>structured</c> or <c>text</c>.</summary>
    public string Kind { get; set; } = "classification";

    /// <summary>
    /// For classification, how a label is read from an answer: <c>normalized</c> (trimmed, lower-cased first line
    /// without punctuation), <c>json:FIELD</c>, or <c>regex:PATTERN</c> (first group, else the whole match).
    /// </summary>
    public string Label { get; set; } = "normalized";

    /// <summary>For structured output, the fields compared (all top-level fields when empty).</summary>
    public IReadOnlyList<string> Fields { get; set; } = [];

    /// <summary>For free text, the lexical similarity (0–1) from which two answers count as agreeing.</summary>
    public double MinSimilarity { get; set; } = 0.5;
}

/// <summary>Evidence a stage needs before it advances; any failing gate during canary or cutover rolls back under <c>auto</c>.</summary>
public sealed record GatesConfig
{
    /// <summary>Fewest compared samples in the stage.</summary>
    public int MinSamples { get; set; } = 200;

    /// <summary>Shortest time in the stage.</summary>
    public string MinDuration { get; set; } = "1h";

    /// <summary>Lowest agreement rate (0–1), judged on the lower bound of its 95 % interval when <see cref="UseLowerBound"/>.</summary>
    public double? MinAgreement { get; set; } = 0.9;

    /// <summary>Judge the agreement on the Wilson lower bound rather than the point estimate.</summary>
    public bool UseLowerBound { get; set; }

    /// <summary>Highest candidate error rate (0–1).</summary>
    public double? MaxErrorRate { get; set; } = 0.02;

    /// <summary>Highest candidate p95 latency in milliseconds.</summary>
    public double? MaxP95Ms { get; set; }

    /// <summary>Highest candidate p95 latency as a multiple of the incumbent's.</summary>
    public double? MaxP95Ratio { get; set; }

    /// <summary>Highest candidate cost per request in US dollars.</summary>
    public double? MaxCostPerRequest { get; set; }

    /// <summary>Lowest mean judge score (1–5), when a judge scores samples.</summary>
    public double? MinJudgeScore { get; set; }
}
