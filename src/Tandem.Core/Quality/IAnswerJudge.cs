using Tandem.Wire;

namespace Tandem.Quality;

/// <summary>
/// Scores answers with an LLM. Used by <c>tandem eval</c>, by route escalation and, later, by shadow comparison and
/// online sampling. Implementations never guess a verdict: an unreadable one is reported as such.
/// </summary>
public interface IAnswerJudge
{
    /// <summary>Grades one answer from 1 to 5 against the rubric (and the reference, when there is one).</summary>
    ValueTask<JudgeScore> ScoreAsync(JudgeRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Compares two answers to the same conversation. The judge is asked in both orders; a winner is declared only
    /// when both orders agree, which cancels the judge's position bias.
    /// </summary>
    ValueTask<PairwiseVerdict> CompareAsync(PairwiseRequest request, CancellationToken cancellationToken = default);
}

/// <summary>What the judge sees for a single score.</summary>
/// <param name="Conversation">The messages the answer replies to.</param>
/// <param name="Answer">The answer to grade.</param>
/// <param name="Reference">A reference answer; when present the judge grades correctness against it.</param>
/// <param name="Rubric">What a good answer is; null uses the judge's default rubric.</param>
public sealed record JudgeRequest(IReadOnlyList<ChatTurn> Conversation, string Answer, string? Reference = null, string? Rubric = null);

/// <summary>What the judge sees for a pairwise comparison.</summary>
/// <param name="Conversation">The messages both answers reply to.</param>
/// <param name="First">The first answer (for example the baseline's).</param>
/// <param name="Second">The second answer (for example the candidate's).</param>
/// <param name="Reference">A reference answer, when there is one.</param>
/// <param name="Rubric">What a good answer is; null uses the default rubric.</param>
public sealed record PairwiseRequest(IReadOnlyList<ChatTurn> Conversation, string First, string Second, string? Reference = null, string? Rubric = null);

/// <summary>How a judge call ended.</summary>
public enum JudgeOutcome
{
    /// <summary>The verdict was read.</summary>
    Scored,

    /// <summary>The judge answered, but no valid verdict could be read from its text.</summary>
    Unparseable,

    /// <summary>The judge could not be called (HTTP error, timeout).</summary>
    Failed,
}

/// <summary>A single-answer verdict.</summary>
/// <param name="Outcome">Whether a score was read.</param>
/// <param name="Score">1 (useless) to 5 (excellent); null unless <see cref="Outcome"/> is <see cref="JudgeOutcome.Scored"/>.</param>
/// <param name="Reasons">The judge's explanation.</param>
/// <param name="Raw">The judge's text as received (for audit of unparseable verdicts).</param>
/// <param name="Usage">The judge call's tokens, when reported.</param>
/// <param name="Error">Why the call failed, when it did.</param>
public sealed record JudgeScore(JudgeOutcome Outcome, int? Score, string? Reasons, string Raw, TokenUsage? Usage = null, string? Error = null);

/// <summary>Which of two answers a pairwise comparison prefers.</summary>
public enum PairwiseWinner
{
    /// <summary>The first answer won in both orders.</summary>
    First,

    /// <summary>The second answer won in both orders.</summary>
    Second,

    /// <summary>Both orders called it a tie.</summary>
    Tie,

    /// <summary>The two orders disagreed (position bias or a close call); counts as a tie.</summary>
    Inconsistent,

    /// <summary>At least one order's verdict could not be read.</summary>
    Unparseable,

    /// <summary>At least one judge call failed.</summary>
    Failed,
}

/// <summary>A pairwise verdict with both orders' raw answers.</summary>
/// <param name="Winner">The combined verdict.</param>
/// <param name="FirstOrderRaw">The judge's text with the first answer shown as A.</param>
/// <param name="SecondOrderRaw">The judge's text with the second answer shown as A.</param>
/// <param name="Reasons">The explanations of both orders.</param>
public sealed record PairwiseVerdict(PairwiseWinner Winner, string FirstOrderRaw, string SecondOrderRaw, string? Reasons);
