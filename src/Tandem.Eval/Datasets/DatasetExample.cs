using Tandem.Quality;

namespace Tandem.Eval.Datasets;

/// <summary>Where an example's preferred answer comes from.</summary>
public enum ExampleSource
{
    /// <summary>A user's correction (preferred over the served answer).</summary>
    Correction,

    /// <summary>A served answer users rated highly.</summary>
    Rating,

    /// <summary>A shadow candidate's answer the judge scored highly (preferred over the incumbent's when they differ).</summary>
    Judge,
}

/// <summary>Fine-tuning formats: OpenAI's supervised and preference JSONL.</summary>
public enum DatasetFormat
{
    /// <summary><c>{"messages":[…]}</c>, the answer as the last assistant message.</summary>
    Sft,

    /// <summary><c>{"input":{"messages":[…]},"preferred_output":[…],"non_preferred_output":[…]}</c>.</summary>
    Dpo,
}

/// <summary>One conversation with the answer to learn (and, for preference data, the answer to learn away from).</summary>
public sealed record DatasetExample
{
    /// <summary>The request it comes from.</summary>
    public required string RequestId { get; init; }

    /// <summary>When the request was served.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>The deployment that served it.</summary>
    public string? Deployment { get; init; }

    /// <summary>Where the preferred answer comes from.</summary>
    public ExampleSource Source { get; init; }

    /// <summary>The conversation up to the answer (system, user and earlier assistant turns).</summary>
    public required IReadOnlyList<ChatTurn> Prompt { get; init; }

    /// <summary>The answer to learn.</summary>
    public required string Preferred { get; init; }

    /// <summary>The answer to learn away from (preference data), when there is one that differs.</summary>
    public string? Rejected { get; init; }
}

/// <summary>What <c>tandem feedback export</c> was asked for.</summary>
public sealed record DatasetExportOptions
{
    /// <summary>The route whose traffic is exported.</summary>
    public required string Route { get; init; }

    /// <summary>SFT or DPO.</summary>
    public DatasetFormat Format { get; init; } = DatasetFormat.Sft;

    /// <summary>Only feedback and shadow samples from this time on.</summary>
    public DateTimeOffset Since { get; init; } = DateTimeOffset.MinValue;

    /// <summary>Lowest 1–5 score (thumbs up is 5, down 1) for a rated answer or a judged shadow answer to become an example.</summary>
    public int MinRating { get; init; } = 4;

    /// <summary>Share of conversations in the training file (the rest: validation and the held-out eval suite).</summary>
    public double Split { get; init; } = 0.9;

    /// <summary>Mask personal data (emails, phones, cards, IBANs… and the route's own patterns) in every text (the default: content leaves Tandem scrubbed unless asked otherwise).</summary>
    public bool Scrub { get; init; } = true;

    /// <summary>Word-bigram Jaccard similarity from which two prompts count as near duplicates.</summary>
    public double NearDuplicate { get; init; } = 0.8;

    /// <summary><c>classification</c>, <c>generation</c>, or null to decide from the answers (one short line each: classification).</summary>
    public string? Task { get; init; }
}
