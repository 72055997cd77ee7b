namespace Tandem.Configuration;

/// <summary>One pinned model on one provider.</summary>
public sealed record DeploymentConfig
{
    /// <summary>Unique name, e.g. <c>gpt-4o-mini</c> or <c>llama-3.1-8b@vllm</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The provider that serves it.</summary>
    public string Provider { get; set; } = "";

    /// <summary>Model id sent upstream (Azure: the Azure deployment name).</summary>
    public string Model { get; set; } = "";

    /// <summary>Pinned model version or snapshot, recorded with every request (e.g. <c>2024-07-18</c>).</summary>
    public string? Version { get; set; }

    /// <summary>A short human label, e.g. "self-hosted (simulated)".</summary>
    public string? Description { get; set; }

    /// <summary>
    /// Where the deployment processes data (e.g. <c>eu</c>, <c>us</c>, <c>on-prem</c>): the tag that a route's or a
    /// rule's <c>region</c> keeps requests within. Untagged deployments are in no region.
    /// </summary>
    public string? Region { get; set; }

    /// <summary>Context window in tokens; requests estimated larger go to a deployment with room.</summary>
    public int? ContextWindow { get; set; }

    /// <summary>Retries and circuit breaker for this deployment.</summary>
    public ResilienceConfig Resilience { get; set; } = new();

    /// <summary>When the provider retires the model (overrides the shipped retirement table), e.g. <c>2027-01-14</c>.</summary>
    public string? Retires { get; set; }

    /// <summary>What the deployment costs; absent takes the default price table entry for <see cref="Model"/>, if any.</summary>
    public PricingConfig? Pricing { get; set; }

    /// <summary>
    /// <c>reported</c> (default): trust the upstream's usage, estimating only the prompt when it reports none;
    /// <c>estimate</c>: keep the answer text so that prompt and answer are counted when the upstream reports no usage.
    /// </summary>
    public string Usage { get; set; } = UsageModes.Reported;

    /// <summary>Tokenizer for estimates: <c>o200k</c> or <c>cl100k</c>; absent picks by model name (o200k when unknown).</summary>
    public string? Tokenizer { get; set; }

    /// <summary>Settings of a deployment on an <c>anthropic</c> provider (its default <c>max_tokens</c>).</summary>
    public AnthropicDeploymentConfig? Anthropic { get; set; }

    /// <summary>How a deployment on a <c>sagemaker</c> provider calls its endpoint (payload shape, variant, component).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("sagemaker")]
    public SageMakerDeploymentConfig? SageMaker { get; set; }
}

/// <summary>Usage accounting modes of a deployment.</summary>
public static class UsageModes
{
    /// <summary>Use the upstream's usage.</summary>
    public const string Reported = "reported";

    /// <summary>Count tokens with a tokenizer when the upstream reports none.</summary>
    public const string Estimate = "estimate";
}

/// <summary>
/// The price of a deployment: per-token prices (an API), or a fixed monthly cost for self-hosted capacity optionally
/// plus a marginal per-token cost. Prices are US dollars.
/// </summary>
public sealed record PricingConfig
{
    /// <summary>Input (prompt) tokens, per million.</summary>
    public decimal? InputPerMtok { get; set; }

    /// <summary>Cached input tokens, per million (default: the input price).</summary>
    public decimal? CachedInputPerMtok { get; set; }

    /// <summary>Output (completion) tokens, per million; reasoning tokens are output tokens.</summary>
    public decimal? OutputPerMtok { get; set; }

    /// <summary>Reasoning tokens, per million, when the provider prices them apart from output (default: the output price).</summary>
    public decimal? ReasoningPerMtok { get; set; }

    /// <summary>Fixed monthly cost of self-hosted capacity (GPUs, infrastructure, operations).</summary>
    public decimal? FixedMonthly { get; set; }

    /// <summary>
    /// The parts of the fixed monthly cost, e.g. <c>{ gpus: 2000, infrastructure: 250, operations: 750 }</c>; without
    /// <see cref="FixedMonthly"/> their sum is the fixed monthly cost, with it they must add up to it.
    /// </summary>
    public IReadOnlyDictionary<string, decimal>? FixedMonthlyBreakdown { get; set; }

    /// <summary>Marginal cost per million tokens (input and output alike) on top of <see cref="FixedMonthly"/>.</summary>
    public decimal? MarginalPerMtok { get; set; }

    /// <summary>Tokens per second (input and output together) the fixed capacity sustains, for utilisation.</summary>
    public double? CapacityTokensPerSecond { get; set; }
}

/// <summary>Retries and circuit breaking of one deployment.</summary>
public sealed record ResilienceConfig
{
    /// <summary>Extra tries on the same deployment for a transient failure (connect, 5xx, short 429) before falling back.</summary>
    public int Retries { get; set; } = 1;

    /// <summary>Base delay of the jittered exponential backoff.</summary>
    public string RetryBackoff { get; set; } = "100ms";

    /// <summary>A 429's Retry-After is honoured up to this; longer ones fall back at once.</summary>
    public string MaxRetryAfter { get; set; } = "2s";

    /// <summary>Circuit breaker.</summary>
    public BreakerConfig Breaker { get; set; } = new();
}

/// <summary>Circuit breaker of one deployment: opens when the failure ratio over a window exceeds a bound.</summary>
public sealed record BreakerConfig
{
    /// <summary>Whether the breaker is on.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Failure ratio (0–1] that opens it.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Fewest calls in the window before it may open.</summary>
    public int MinThroughput { get; set; } = 10;

    /// <summary>The sampling window.</summary>
    public string Window { get; set; } = "30s";

    /// <summary>How long it stays open before a half-open probe.</summary>
    public string BreakFor { get; set; } = "15s";
}
