using System.Text;
using Tandem.Quality;
using Xunit;

namespace Tandem.Core.Tests.Quality;

public sealed class EscalationPolicyTests
{
    private static readonly ReadOnlyMemory<byte> Body = Encoding.UTF8.GetBytes("""{"model":"intent","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is the capital of France?"}]}""");

    private sealed class FakeJudge(Func<JudgeRequest, JudgeScore> score) : IAnswerJudge
    {
        public List<JudgeRequest> Requests { get; } = [];

        public ValueTask<JudgeScore> ScoreAsync(JudgeRequest request, CancellationToken cancellationToken = default)
        {
            Requests.Add(request);
            return ValueTask.FromResult(score(request));
        }

        public ValueTask<PairwiseVerdict> CompareAsync(PairwiseRequest request, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }

    private static JudgeScore Scored(int s) => new(JudgeOutcome.Scored, s, "because", "{}");

    [Theory]
    [InlineData(1, 3.0, true)]
    [InlineData(2, 3.0, true)]
    [InlineData(3, 3.0, false)]
    [InlineData(5, 3.0, false)]
    [InlineData(3, 3.5, true)]
    [InlineData(4, 5.0, true)]
    public async Task DecideAsync_ScoreAgainstThreshold_EscalatesOnlyBelow(int score, double below, bool escalate)
    {
        var judge = new FakeJudge(_ => Scored(score));
        var decision = await new EscalationPolicy(judge, below).DecideAsync(Body, "Lyon", Ct);
        Assert.Equal(escalate, decision.Escalate);
        Assert.Equal(score, decision.Judgement!.Score);
    }

    [Fact]
    public async Task DecideAsync_PassesConversationAnswerAndRubricToJudge()
    {
        var judge = new FakeJudge(_ => Scored(4));
        await new EscalationPolicy(judge, 3, rubric: "Capitals must be exact.").DecideAsync(Body, "Paris", Ct);
        var request = Assert.Single(judge.Requests);
        Assert.Equal(["system", "user"], request.Conversation.Select(t => t.Role));
        Assert.Equal("What is the capital of France?", request.Conversation[1].Content);
        Assert.Equal("Paris", request.Answer);
        Assert.Equal("Capitals must be exact.", request.Rubric);
    }

    [Theory]
    [InlineData(JudgeOutcome.Unparseable, false, false)]
    [InlineData(JudgeOutcome.Unparseable, true, true)]
    [InlineData(JudgeOutcome.Failed, false, false)]
    [InlineData(JudgeOutcome.Failed, true, true)]
    public async Task DecideAsync_JudgeWithoutVerdict_FollowsFailureMode(JudgeOutcome outcome, bool escalateOnFailure, bool escalate)
    {
        var judge = new FakeJudge(_ => new JudgeScore(outcome, null, null, "no idea"));
        var decision = await new EscalationPolicy(judge, 3, escalateOnFailure).DecideAsync(Body, "Lyon", Ct);
        Assert.Equal(escalate, decision.Escalate);
        Assert.Null(decision.Judgement!.Score);
        Assert.Contains(escalate ? "escalate" : "keep", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideAsync_EmptyAnswer_KeepsWithoutAskingJudge()
    {
        var judge = new FakeJudge(_ => Scored(1));
        var decision = await new EscalationPolicy(judge).DecideAsync(Body, "  ", Ct);
        Assert.False(decision.Escalate);
        Assert.Empty(judge.Requests);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(5.5)]
    [InlineData(double.NaN)]
    public void Constructor_ThresholdOutsideScale_Throws(double below)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EscalationPolicy(new FakeJudge(_ => Scored(3)), below));
    }
}
