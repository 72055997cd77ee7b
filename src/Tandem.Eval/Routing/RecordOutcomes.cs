using System.Text;
using Tandem.Routing;

namespace Tandem.Eval.Routing;

/// <summary>A shadow pair's verdict on the candidate (the cheaper model) and the request's captured prompt.</summary>
/// <param name="PromptJson">The captured <c>messages</c> array, or null when the route did not capture it.</param>
/// <param name="Agree">Whether the candidate agreed with the incumbent.</param>
/// <param name="JudgeScore">The judge's 1–5 score of the candidate's answer.</param>
/// <param name="Failed">Whether either side failed (no pair to compare).</param>
internal sealed record RecordedVerdict(string? PromptJson, bool? Agree, double? JudgeScore, bool Failed);

/// <summary>What <see cref="RecordOutcomes.Build"/> kept and why it left the rest out.</summary>
internal sealed record RecordOutcomeCounts(int Pairs, int WeakGood, int WeakNotGood, int NoPrompt, int Failed, int NoVerdict);

/// <summary>
/// Turns a route's shadow pairs into router outcomes (issue 12, 1c: the router learns from the traffic it routes).
/// The candidate of a migration is the weak model, the incumbent the strong one; a candidate answer is "good
/// enough" when it agreed with the incumbent's or the judge scored it at least the threshold. The strong model's
/// own result is unknown (null), so a prompt needs the strong model exactly when the candidate was not good enough.
/// The text is what the gateway scores at request time (<see cref="RequestView.Text"/> of the captured messages),
/// so training and serving read the same features.
/// </summary>
internal static class RecordOutcomes
{
    public static (List<RouterExample> Examples, RecordOutcomeCounts Counts) Build(IReadOnlyList<RecordedVerdict> verdicts, double minJudgeScore)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        var examples = new List<RouterExample>();
        int good = 0, notGood = 0, noPrompt = 0, failed = 0, noVerdict = 0;
        foreach (var v in verdicts)
        {
            if (v.Failed)
            {
                failed++;
                continue;
            }

            if (v.Agree is null && v.JudgeScore is null)
            {
                noVerdict++;
                continue;
            }

            var text = TextOf(v.PromptJson);
            if (text is null)
            {
                noPrompt++;
                continue;
            }

            var weakGood = v.Agree == true || v.JudgeScore >= minJudgeScore;
            if (weakGood)
            {
                good++;
            }
            else
            {
                notGood++;
            }

            examples.Add(new RouterExample(text, weakGood, null));
        }

        return (examples, new RecordOutcomeCounts(verdicts.Count, good, notGood, noPrompt, failed, noVerdict));
    }

    /// <summary>The text the gateway scores for a captured <c>messages</c> array; null when there is none or it was cut short.</summary>
    internal static string? TextOf(string? messagesJson)
    {
        if (string.IsNullOrWhiteSpace(messagesJson) || messagesJson.EndsWith("…[truncated]", StringComparison.Ordinal) || messagesJson.TrimStart()[0] != '[')
        {
            return null;
        }

        var text = RequestView.For("{\"model\":\"router-train\",\"messages\":" + messagesJson + "}").Text;
        return text.Length == 0 ? null : text;
    }
}
