namespace Tandem.Eval.Reports.Decision;

/// <summary>Traffic as the records measured it over a window.</summary>
internal sealed record TrafficProfile
{
    /// <summary>Days the window covers (at least a minute's worth).</summary>
    public double Days { get; init; }
    public long Requests { get; init; }
    public long PromptTokens { get; init; }
    public long CompletionTokens { get; init; }

    /// <summary>Tokens (in and out) of the busiest minute ÷ 60.</summary>
    public double PeakTokensPerSecond { get; init; }

    /// <summary>The 95th percentile of prompt + completion tokens of a request: the context to size the KV cache for.</summary>
    public int P95ContextTokens { get; init; }

    /// <summary>Spend on API deployments in the window (priced by the configuration).</summary>
    public decimal ApiSpend { get; init; }

    /// <summary>Routes whose records keep content or that route personal data (from the configuration).</summary>
    public IReadOnlyList<string> SensitiveRoutes { get; init; } = [];

    public long Tokens => PromptTokens + CompletionTokens;

    /// <summary>Tokens per 30-day month at the observed rate.</summary>
    public double TokensPerMonth => Days <= 0 ? 0 : Tokens / Days * 30;
}

/// <summary>The team's answers to the checklist (a JSON file), and the prices only the team knows.</summary>
internal sealed record DecisionAnswers
{
    // Setters, not init: System.Text.Json's source generator assigns every init-only property, so an answer left out
    // of the file would become 0 or null instead of keeping its default.
    /// <summary><c>none</c> (data may go to an API), <c>some_routes</c> (some may not), <c>all_data</c> (none may).</summary>
    public string Privacy { get; set; } = "none";

    /// <summary><c>none</c>, <c>prompting</c>, or <c>fine_tuning</c> (the team needs its own weights).</summary>
    public string Customisation { get; set; } = "none";

    /// <summary><c>none</c> (nobody to run GPUs), <c>some</c>, <c>mlops</c> (runs inference servers today).</summary>
    public string TeamSkills { get; set; } = "some";

    /// <summary>Most the team may spend a month on self-hosting; null: no cap.</summary>
    public decimal? BudgetMonthlyUsd { get; set; }

    /// <summary>The model to self-host: a name of the sizing table (<c>8b</c>, <c>70b</c>).</summary>
    public string ModelSize { get; set; } = "8b";

    /// <summary>Its weight format: <c>fp16</c>, <c>int8</c>, <c>int4</c>.</summary>
    public string Quantisation { get; set; } = "fp16";

    /// <summary>Hourly price per GPU the team can get, by GPU name; GPUs without a price are sized but not costed.</summary>
    public IReadOnlyDictionary<string, decimal> GpuHourlyUsd { get; set; } = new Dictionary<string, decimal>();

    /// <summary>People and operations a month for running the self-hosted stack.</summary>
    public decimal OpsMonthlyUsd { get; set; }

    /// <summary>Share of the roofline throughput to plan for (0–1, default 0.5).</summary>
    public double TargetUtilisation { get; set; } = 0.5;
}

/// <summary>The decision report's recommendation, from least to most self-hosting.</summary>
public enum Recommendation
{
    /// <summary>Stay on the API.</summary>
    Stay,

    /// <summary>Self-host some routes, keep the API for the rest.</summary>
    Hybrid,

    /// <summary>Self-host every route.</summary>
    Migrate,
}

/// <summary>Costs at one volume.</summary>
/// <param name="TokensPerMonth">The volume.</param>
/// <param name="ApiMonthly">The API's bill at the observed price per token.</param>
/// <param name="SelfHostMonthly">The cheapest priced GPU option plus operations; null when none is priced or fits.</param>
/// <param name="Option">That option.</param>
internal sealed record CostAtVolume(double TokensPerMonth, decimal ApiMonthly, decimal? SelfHostMonthly, GpuOption? Option);

/// <summary>What <c>tandem report decision</c> answers.</summary>
internal sealed record DecisionReport
{
    public Recommendation Recommendation { get; init; }
    public IReadOnlyList<string> Reasons { get; init; } = [];
    public TrafficProfile Traffic { get; init; } = new();
    public DecisionAnswers Answers { get; init; } = new();

    /// <summary>The API's price per million tokens of this traffic's mix (spend ÷ tokens).</summary>
    public decimal ApiPricePerMtok { get; init; }
    public CostAtVolume Observed { get; init; } = new(0, 0, null, null);
    public CostAtVolume TenTimes { get; init; } = new(0, 0, null, null);

    /// <summary>Tokens a month at which the API's bill equals the observed sizing's self-host cost; null when unknown.</summary>
    public double? BreakEvenTokensPerMonth { get; init; }

    /// <summary>Every GPU of the table for the model at the observed peak (null entries: does not fit on 8).</summary>
    public IReadOnlyList<GpuOption> Gpus { get; init; } = [];
    public string Model { get; init; } = "";
    public string Sources { get; init; } = "";
}
