using Tandem.Eval.Routing;
using Xunit;

namespace Tandem.Eval.Tests.Routing;

public sealed class RecordOutcomesTests
{
    private const string Hi = "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"hi there\"}]";

    [Fact]
    public void Build_AgreementOrJudgeAtTheThresholdIsGoodEnough_TheRestCountedByReason()
    {
        var (examples, counts) = RecordOutcomes.Build(
        [
            new RecordedVerdict(Hi, true, null, false),      // agreed
            new RecordedVerdict(Hi, false, 4.0, false),      // disagreed, but judged at the threshold
            new RecordedVerdict(Hi, null, 3.99, false),      // judged just under it
            new RecordedVerdict(Hi, false, null, false),     // disagreed, not judged
            new RecordedVerdict(null, true, null, false),    // capture off
            new RecordedVerdict(Hi[..20] + "…[truncated]", true, null, false), // cut by the capture limit
            new RecordedVerdict(Hi, null, null, true),       // a side failed
            new RecordedVerdict(Hi, null, null, false),      // compared by nothing
        ], minJudgeScore: 4);

        Assert.Equal(new RecordOutcomeCounts(8, 2, 2, 2, 1, 1), counts);
        Assert.Equal([true, true, false, false], examples.Select(e => e.WeakGood));
        Assert.All(examples, e => Assert.Null(e.StrongGood));
        Assert.Equal([false, false, true, true], examples.Select(e => e.NeedsStrong));
        // The text the gateway scores: every message's content, joined by new lines.
        Assert.All(examples, e => Assert.Equal("Be brief.\nhi there", e.Text));
    }
}
