using System.Globalization;

namespace Tandem.Quality;

/// <summary>The outcome of <see cref="EscalationPolicy.DecideAsync"/>.</summary>
/// <param name="Escalate">Whether the stronger deployment should answer instead.</param>
/// <param name="Reason">Why, for records and logs (<c>score 2 &lt; 3</c>, <c>judge unparseable: keep</c>…).</param>
/// <param name="Judgement">The judge's verdict on the cheap answer; null when the judge was not asked.</param>
public sealed record EscalationDecision(bool Escalate, string Reason, JudgeScore? Judgement);

/// <summary>
/// Decides whether a cheap deployment's answer is good enough: the judge scores it and an answer scoring below
/// the threshold is escalated. Independent of HTTP; the gateway, eval and shadow comparison can all use it.
/// </summary>
public sealed class EscalationPolicy
{
    private readonly IAnswerJudge _judge;

    /// <summary>Creates the policy.</summary>
    /// <param name="judge">Scores the cheap answer.</param>
    /// <param name="below">Escalate when the score is below this value (greater than 1, at most 5).</param>
    /// <param name="escalateOnJudgeFailure">When the judge fails or its verdict cannot be read: true escalates, false keeps.</param>
    /// <param name="rubric">Rubric for the judge; null uses the judge's default.</param>
    public EscalationPolicy(IAnswerJudge judge, double below = 3, bool escalateOnJudgeFailure = false, string? rubric = null)
    {
        ArgumentNullException.ThrowIfNull(judge);
        if (double.IsNaN(below) || below <= 1 || below > 5)
        {
            throw new ArgumentOutOfRangeException(nameof(below), below, "must be greater than 1 and at most 5");
        }

        _judge = judge;
        Below = below;
        EscalateOnJudgeFailure = escalateOnJudgeFailure;
        Rubric = rubric;
    }

    /// <summary>The score threshold.</summary>
    public double Below { get; }

    /// <summary>Whether a failed or unreadable judgement escalates.</summary>
    public bool EscalateOnJudgeFailure { get; }

    /// <summary>The rubric given to the judge.</summary>
    public string? Rubric { get; }

    /// <summary>Judges <paramref name="cheapAnswer"/> to the conversation in <paramref name="requestBody"/> and decides.</summary>
    public async ValueTask<EscalationDecision> DecideAsync(ReadOnlyMemory<byte> requestBody, string cheapAnswer, CancellationToken cancellationToken = default)
    {
        var conversation = ChatTurn.FromRequestBody(requestBody.Span);
        if (conversation.Count == 0)
        {
            return new EscalationDecision(false, "no conversation to judge: keep", null);
        }

        if (string.IsNullOrWhiteSpace(cheapAnswer))
        {
            // Tool calls or an empty answer: a text judge cannot grade it, and escalating blindly would double cost.
            return new EscalationDecision(false, "no text answer to judge: keep", null);
        }

        var score = await _judge.ScoreAsync(new JudgeRequest(conversation, cheapAnswer, null, Rubric), cancellationToken).ConfigureAwait(false);
        if (score.Outcome != JudgeOutcome.Scored)
        {
            var what = score.Outcome == JudgeOutcome.Failed ? "judge failed" : "judge verdict unparseable";
            return new EscalationDecision(EscalateOnJudgeFailure, what + (EscalateOnJudgeFailure ? ": escalate" : ": keep"), score);
        }

        var value = score.Score!.Value;
        var threshold = Below.ToString("0.##", CultureInfo.InvariantCulture);
        return value < Below
            ? new EscalationDecision(true, $"score {value} < {threshold}", score)
            : new EscalationDecision(false, $"score {value} >= {threshold}", score);
    }
}
