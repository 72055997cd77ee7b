using Tandem.Quality;

namespace Tandem.Eval.Suites;

/// <summary>What kind of expectation a case carries, and so how its answer is scored.</summary>
public enum CaseKind
{
    /// <summary>The answer must be one label (intent recognition, routing, moderation…).</summary>
    Classification,

    /// <summary>The answer must be a JSON object with the required fields.</summary>
    Extraction,

    /// <summary>Free text graded by the judge against a rubric, and a reference when there is one.</summary>
    Generation,
}

/// <summary>One test case.</summary>
public sealed record EvalCase
{
    /// <summary>Unique id within the suite; with the deployment, the key of a result.</summary>
    public required string Id { get; init; }

    /// <summary>The messages sent to the deployment.</summary>
    public required IReadOnlyList<ChatTurn> Messages { get; init; }

    /// <summary>How the answer is scored.</summary>
    public required CaseKind Kind { get; init; }

    /// <summary>The expected label (classification).</summary>
    public string? Label { get; init; }

    /// <summary>Fields the answer's JSON object must carry, non-null (extraction).</summary>
    public IReadOnlyList<string> RequiredFields { get; init; } = [];

    /// <summary>A reference answer for the judge (generation).</summary>
    public string? Reference { get; init; }

    /// <summary>A rubric for the judge; null uses the suite's, then the judge's default.</summary>
    public string? Rubric { get; init; }
}

/// <summary>A loaded suite.</summary>
public sealed record EvalSuite
{
    /// <summary>A name for reports.</summary>
    public required string Name { get; init; }

    /// <summary>The cases, in file order.</summary>
    public required IReadOnlyList<EvalCase> Cases { get; init; }

    /// <summary>The valid labels of classification cases (declared in the suite, else those the cases expect).</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>The suite's rubric for generation cases.</summary>
    public string? Rubric { get; init; }

    /// <summary>SHA-256 of the suite's content, so that a resumed run refuses a changed suite.</summary>
    public required string Fingerprint { get; init; }

    /// <summary>Where the cases came from and under which license (shown in reports).</summary>
    public string? Source { get; init; }
}
