namespace Tandem.Classification;

/// <summary>A served request of a route with its captured content, as labelling and distillation read it.</summary>
/// <param name="RequestId">The request.</param>
/// <param name="Time">When it was served.</param>
/// <param name="Deployment">Who answered (<c>local:NAME</c> for the route's classifier).</param>
/// <param name="Decision">The routing decision (it holds the local classifier's guess when the LLM answered).</param>
/// <param name="Prompt">The captured <c>messages</c> JSON (masked when the route captures <c>redacted</c>).</param>
/// <param name="Answer">The captured answer.</param>
public sealed record RouteExchange(string RequestId, DateTimeOffset Time, string? Deployment, string Decision, string? Prompt, string? Answer);

/// <summary>One imported set of labels: its version (assigned by the store) and the raters' agreement.</summary>
public sealed record LabelSet
{
    /// <summary>The version, increasing with each import (0 before it is stored).</summary>
    public long Version { get; init; }

    /// <summary>The route the items came from.</summary>
    public required string Route { get; init; }

    /// <summary>When it was imported.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>How many raters labelled.</summary>
    public int Raters { get; init; }

    /// <summary>Items with an agreed label.</summary>
    public int Items { get; init; }

    /// <summary>The chance-corrected agreement (null when it is undefined).</summary>
    public double? Kappa { get; init; }

    /// <summary><c>cohen</c> (two raters) or <c>fleiss</c> (three or more).</summary>
    public required string KappaKind { get; init; }

    /// <summary>The files it was imported from.</summary>
    public required string Source { get; init; }
}

/// <summary>A rater's label of an item.</summary>
public sealed record RaterLabel(string Item, string Rater, string Label);

/// <summary>An item's agreed label (the majority) and its text: one training example.</summary>
public sealed record AgreedLabel(string Item, string Text, string Label);

/// <summary>Stored, versioned human labels, and the route content they are drawn from.</summary>
public interface ILabelStore
{
    /// <summary>A route's successful requests with captured content since <paramref name="since"/>, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<RouteExchange>> ExchangesAsync(string route, DateTimeOffset since, int limit, CancellationToken cancellationToken = default);

    /// <summary>Stores a set with its labels in one transaction; returns it with its new version.</summary>
    Task<LabelSet> AddSetAsync(LabelSet set, IReadOnlyList<RaterLabel> labels, IReadOnlyList<AgreedLabel> agreed, CancellationToken cancellationToken = default);

    /// <summary>The sets of a route (every route when null), oldest first.</summary>
    Task<IReadOnlyList<LabelSet>> SetsAsync(string? route, CancellationToken cancellationToken = default);

    /// <summary>The agreed labels of a set, by item.</summary>
    Task<IReadOnlyList<AgreedLabel>> AgreedAsync(long version, CancellationToken cancellationToken = default);

    /// <summary>Every rater's label in a set, by item then rater.</summary>
    Task<IReadOnlyList<RaterLabel>> LabelsAsync(long version, CancellationToken cancellationToken = default);
}
