using System.Text.Json.Serialization;
using Tandem.Configuration;

namespace Tandem.Costs;

/// <summary>How a deployment is paid for.</summary>
public enum PriceKind
{
    /// <summary>No price is known: its cost counts as zero and reports say so.</summary>
    Unpriced,

    /// <summary>Per-token prices, as APIs charge.</summary>
    Tokens,

    /// <summary>A fixed monthly cost of capacity, optionally plus a marginal per-token cost.</summary>
    Fixed,
}

/// <summary>One entry of the shipped default price table.</summary>
public sealed record PriceTableEntry
{
    /// <summary>Model id (or id prefix, matched up to a <c>-</c>: <c>gpt-4o-mini</c> matches <c>gpt-4o-mini-2024-07-18</c>).</summary>
    public string Model { get; set; } = "";

    /// <summary>Provider publishing the price.</summary>
    public string Provider { get; set; } = "";

    /// <summary>Input tokens, US dollars per million.</summary>
    public decimal InputPerMtok { get; set; }

    /// <summary>Cached input tokens (prompt cache reads), US dollars per million; null means the input price.</summary>
    public decimal? CachedInputPerMtok { get; set; }

    /// <summary>Output tokens, US dollars per million.</summary>
    public decimal OutputPerMtok { get; set; }

    /// <summary>The day the price was read from <see cref="Source"/>.</summary>
    public string AsOf { get; set; } = "";

    /// <summary>Where the price was published.</summary>
    public string Source { get; set; } = "";
}

/// <summary>The shipped price table file.</summary>
internal sealed record PriceTableFile
{
    public string? Comment { get; set; }

    public IReadOnlyList<PriceTableEntry> Models { get; set; } = [];
}

/// <summary>The default price table for common OpenAI and Anthropic models, shipped as an embedded JSON resource.</summary>
public static class PriceTable
{
    private static readonly Lazy<IReadOnlyList<PriceTableEntry>> Entries = new(Load);

    /// <summary>Every entry of the table.</summary>
    public static IReadOnlyList<PriceTableEntry> Default => Entries.Value;

    /// <summary>
    /// Finds the entry for an upstream model id: exact, else the longest entry that prefixes it at a <c>-</c>
    /// boundary. A provider prefix (<c>openai/gpt-4o</c>) is ignored.
    /// </summary>
    public static PriceTableEntry? Find(string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return null;
        }

        var slash = model.LastIndexOf('/');
        var id = slash >= 0 ? model[(slash + 1)..] : model;
        PriceTableEntry? best = null;
        foreach (var e in Default)
        {
            var matches = id.Equals(e.Model, StringComparison.OrdinalIgnoreCase)
                || (id.Length > e.Model.Length && id.StartsWith(e.Model, StringComparison.OrdinalIgnoreCase) && id[e.Model.Length] is '-' or '@' or ':');
            if (matches && (best is null || e.Model.Length > best.Model.Length))
            {
                best = e;
            }
        }

        return best;
    }

    private static IReadOnlyList<PriceTableEntry> Load()
    {
        using var stream = typeof(PriceTable).Assembly.GetManifestResourceStream("Tandem.Costs.prices.json")
            ?? throw new InvalidOperationException("embedded price table missing");
        var file = System.Text.Json.JsonSerializer.Deserialize(stream, CostsJsonContext.Default.PriceTableFile);
        return file?.Models ?? [];
    }
}

/// <summary>A deployment's price as resolved from its configuration and the default table.</summary>
public sealed record DeploymentPrice
{
    private const decimal PerMillion = 1_000_000m;

    /// <summary>How it is paid for.</summary>
    public PriceKind Kind { get; init; }

    /// <summary>Input tokens, per million.</summary>
    public decimal InputPerMtok { get; init; }

    /// <summary>Cached input tokens, per million.</summary>
    public decimal CachedInputPerMtok { get; init; }

    /// <summary>Output tokens, per million.</summary>
    public decimal OutputPerMtok { get; init; }

    /// <summary>Reasoning tokens, per million.</summary>
    public decimal ReasoningPerMtok { get; init; }

    /// <summary>Fixed monthly cost (30-day month).</summary>
    public decimal FixedMonthly { get; init; }

    /// <summary>Marginal cost per million tokens on fixed capacity.</summary>
    public decimal MarginalPerMtok { get; init; }

    /// <summary>Sustained tokens per second of fixed capacity, when configured.</summary>
    public double? CapacityTokensPerSecond { get; init; }

    /// <summary><c>config</c>, or the price table's source URL.</summary>
    [JsonIgnore]
    public string Source { get; init; } = "config";

    /// <summary>The price table entry's date, when the price came from the table.</summary>
    [JsonIgnore]
    public string? AsOf { get; init; }

    /// <summary>An unknown price.</summary>
    public static DeploymentPrice Unpriced { get; } = new() { Kind = PriceKind.Unpriced, Source = "none" };

    /// <summary>Answers of a route's local classifier (deployment <c>local:NAME</c>): per-token prices of zero.</summary>
    public static DeploymentPrice Local { get; } = new() { Kind = PriceKind.Tokens, Source = "local classifier" };

    /// <summary>Resolves the price of a deployment: its <c>pricing</c>, else the default table, else unpriced.</summary>
    public static DeploymentPrice For(DeploymentConfig deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        if (deployment.Pricing is { } p)
        {
            if ((p.FixedMonthly ?? p.FixedMonthlyBreakdown?.Values.Sum()) is decimal fixedMonthly)
            {
                return new DeploymentPrice
                {
                    Kind = PriceKind.Fixed,
                    FixedMonthly = fixedMonthly,
                    MarginalPerMtok = p.MarginalPerMtok ?? 0,
                    CapacityTokensPerSecond = p.CapacityTokensPerSecond,
                };
            }

            var output = p.OutputPerMtok ?? 0;
            return new DeploymentPrice
            {
                Kind = PriceKind.Tokens,
                InputPerMtok = p.InputPerMtok ?? 0,
                CachedInputPerMtok = p.CachedInputPerMtok ?? p.InputPerMtok ?? 0,
                OutputPerMtok = output,
                ReasoningPerMtok = p.ReasoningPerMtok ?? output,
            };
        }

        if (PriceTable.Find(deployment.Model) is { } e)
        {
            return new DeploymentPrice
            {
                Kind = PriceKind.Tokens,
                InputPerMtok = e.InputPerMtok,
                CachedInputPerMtok = e.CachedInputPerMtok ?? e.InputPerMtok,
                OutputPerMtok = e.OutputPerMtok,
                ReasoningPerMtok = e.OutputPerMtok,
                Source = e.Source,
                AsOf = e.AsOf,
            };
        }

        return Unpriced;
    }

    /// <summary>
    /// The variable cost of one request's tokens: cached prompt tokens at the cached price, reasoning tokens (part of
    /// the completion) at the reasoning price; on fixed capacity the marginal price for every token.
    /// </summary>
    public decimal CostOf(long promptTokens, long cachedTokens, long completionTokens, long reasoningTokens)
    {
        switch (Kind)
        {
            case PriceKind.Tokens:
                var cached = Math.Clamp(cachedTokens, 0, promptTokens);
                var reasoning = Math.Clamp(reasoningTokens, 0, completionTokens);
                return (((promptTokens - cached) * InputPerMtok) + (cached * CachedInputPerMtok)
                    + ((completionTokens - reasoning) * OutputPerMtok) + (reasoning * ReasoningPerMtok)) / PerMillion;
            case PriceKind.Fixed:
                return (promptTokens + completionTokens) * MarginalPerMtok / PerMillion;
            default:
                return 0;
        }
    }
}
