namespace Tandem.Limits;

/// <summary>How an admission ended.</summary>
public enum LimitOutcome : byte
{
    /// <summary>Every limit had room; the request's charges are taken.</summary>
    Admitted,

    /// <summary>A per-minute limit is reached (429 <c>rate_limit_exceeded</c>).</summary>
    RateLimited,

    /// <summary>A daily or monthly budget is used up (429 <c>insufficient_quota</c>).</summary>
    BudgetExhausted,

    /// <summary>The shared store is down and <c>on_store_failure</c> is <c>closed</c> (503 <c>limits_unavailable</c>).</summary>
    StoreUnavailable,
}

/// <summary>What the allowance of one measure looks like after an admission, for the <c>x-ratelimit-*</c> headers.</summary>
/// <param name="Limit">The cap of the tightest limit of the measure.</param>
/// <param name="Remaining">What is left of it.</param>
/// <param name="Reset">Until its window ends.</param>
public readonly record struct LimitAllowance(long Limit, long Remaining, TimeSpan Reset);

/// <summary>The limits' verdict on one request, and what it reserved (settled when the request ends).</summary>
public sealed class LimitAdmission
{
    internal LimitAdmission(LimitOutcome outcome, LimitSpec[] specs, LimitCharge[] charges, long[] windowStarts)
    {
        Outcome = outcome;
        Specs = specs;
        Charges = charges;
        WindowStarts = windowStarts;
    }

    /// <summary>The verdict.</summary>
    public LimitOutcome Outcome { get; }

    /// <summary>Whether the request may go on.</summary>
    public bool Admitted => Outcome == LimitOutcome.Admitted;

    /// <summary>The limit that refused the request.</summary>
    public LimitSpec? Refused { get; internal init; }

    /// <summary>Why the request was refused, for the client.</summary>
    public string Message { get; internal init; } = "";

    /// <summary>When the refusing limit has room again (its window's end).</summary>
    public TimeSpan? RetryAfter { get; internal init; }

    /// <summary>The request allowance (<c>x-ratelimit-*-requests</c>), when a request limit applies.</summary>
    public LimitAllowance? Requests { get; internal init; }

    /// <summary>The token allowance (<c>x-ratelimit-*-tokens</c>), when a token limit applies.</summary>
    public LimitAllowance? Tokens { get; internal init; }

    /// <summary>Whether this instance counted locally because the shared store was down.</summary>
    public bool CountedLocally { get; internal init; }

    internal LimitSpec[] Specs { get; }

    internal LimitCharge[] Charges { get; }

    internal long[] WindowStarts { get; }

    internal int Settled;
}

/// <summary>What a request is expected to cost, reserved at admission.</summary>
/// <param name="Tokens">Prompt tokens (estimated) plus <c>max_tokens</c> or the configured default.</param>
/// <param name="MicroUsd">The cost of those tokens at the planned deployment's prices, in micro-dollars.</param>
public readonly record struct LimitEstimate(long Tokens, long MicroUsd);
