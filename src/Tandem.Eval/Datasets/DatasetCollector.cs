using System.Text;
using Tandem.Feedback;
using Tandem.Migration;
using Tandem.Quality;
using Tandem.Records;

namespace Tandem.Eval.Datasets;

/// <summary>Counts of what the collector could not use, for the dataset card.</summary>
public sealed record CollectionCounts
{
    /// <summary>Requests with feedback or a judged shadow answer.</summary>
    public int Requests { get; init; }

    /// <summary>Without the conversation: the route did not capture it and the client did not send it.</summary>
    public int NoConversation { get; init; }

    /// <summary>Rated below the threshold without a correction (nothing to learn from).</summary>
    public int LowRatedWithoutCorrection { get; init; }

    /// <summary>Rated highly but without the served answer.</summary>
    public int NoAnswer { get; init; }
}

/// <summary>
/// Turns feedback and shadow samples into examples, one per request: a correction wins (the latest), then a high
/// rating of the served answer, then a judge's high score of a shadow candidate's answer.
/// </summary>
public static class DatasetCollector
{
    /// <summary>Collects the examples of a route.</summary>
    /// <param name="feedback">The route's feedback in the window.</param>
    /// <param name="samples">The route's shadow samples in the window.</param>
    /// <param name="recordOf">Reads a request's record (null when gone).</param>
    /// <param name="options">Threshold of a high rating.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    public static async Task<(IReadOnlyList<DatasetExample> Examples, CollectionCounts Counts)> CollectAsync(IReadOnlyList<FeedbackEntry> feedback,
        IReadOnlyList<ShadowSample> samples, Func<string, CancellationToken, Task<RequestRecord?>> recordOf, DatasetExportOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(recordOf);
        ArgumentNullException.ThrowIfNull(options);
        var examples = new List<DatasetExample>();
        int requests = 0, noConversation = 0, lowRated = 0, noAnswer = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in feedback.GroupBy(f => f.RequestId, StringComparer.Ordinal))
        {
            requests++;
            seen.Add(group.Key);
            var entries = group.OrderBy(f => f.Id).ToList();
            var record = await recordOf(group.Key, cancellationToken).ConfigureAwait(false);
            var prompt = Conversation(record?.PromptContent ?? entries.LastOrDefault(e => e.Messages is not null)?.Messages);
            if (prompt is null)
            {
                noConversation++;
                continue;
            }

            var served = record?.ResponseContent ?? entries.LastOrDefault(e => e.Answer is not null)?.Answer;
            var time = record?.Time ?? entries[0].Time;
            var correction = entries.LastOrDefault(e => e.Correction is not null)?.Correction;
            if (correction is not null)
            {
                examples.Add(new DatasetExample
                {
                    RequestId = group.Key, Time = time, Deployment = record?.Deployment ?? entries[0].Deployment, Source = ExampleSource.Correction,
                    Prompt = prompt, Preferred = correction, Rejected = served is not null && !SameAnswer(served, correction) ? served : null,
                });
                continue;
            }

            var score = entries.LastOrDefault(e => e.Score is not null)?.Score;
            if (score is null || score < options.MinRating)
            {
                lowRated++;
                continue;
            }

            if (served is null)
            {
                noAnswer++;
                continue;
            }

            examples.Add(new DatasetExample
            {
                RequestId = group.Key, Time = time, Deployment = record?.Deployment ?? entries[0].Deployment, Source = ExampleSource.Rating, Prompt = prompt, Preferred = served,
            });
        }

        foreach (var s in samples)
        {
            if (s.JudgeScore is not double judged || judged < options.MinRating || s.CandidateAnswer is null || !seen.Add(s.RequestId))
            {
                continue;
            }

            requests++;
            var record = await recordOf(s.RequestId, cancellationToken).ConfigureAwait(false);
            var prompt = Conversation(record?.PromptContent);
            if (prompt is null)
            {
                noConversation++;
                continue;
            }

            examples.Add(new DatasetExample
            {
                RequestId = s.RequestId, Time = record?.Time ?? s.Time, Deployment = record?.Deployment, Source = ExampleSource.Judge, Prompt = prompt,
                Preferred = s.CandidateAnswer, Rejected = s.IncumbentAnswer is { } inc && !SameAnswer(inc, s.CandidateAnswer) ? inc : null,
            });
        }

        return (examples, new CollectionCounts { Requests = requests, NoConversation = noConversation, LowRatedWithoutCorrection = lowRated, NoAnswer = noAnswer });
    }

    private static bool SameAnswer(string a, string b) => string.Equals(a.Trim(), b.Trim(), StringComparison.Ordinal);

    /// <summary>
    /// A captured <c>messages</c> array as turns, without a trailing assistant turn (the answer is the example's).
    /// Null when there is no usable conversation (not captured, cut by the capture limit, not JSON, or no user turn).
    /// </summary>
    internal static IReadOnlyList<ChatTurn>? Conversation(string? messagesJson)
    {
        if (messagesJson is null || messagesJson.EndsWith("…[truncated]", StringComparison.Ordinal))
        {
            return null;
        }

        var turns = ChatTurn.FromRequestBody(Encoding.UTF8.GetBytes("{\"messages\":" + messagesJson + "}"))
            .Select(t => t.Role == "developer" ? t with { Role = "system" } : t)
            .ToList();
        if (turns.Count > 0 && turns[^1].Role == "assistant")
        {
            turns.RemoveAt(turns.Count - 1);
        }

        return turns.Count == 0 || !turns.Any(t => t.Role == "user") || turns.Any(t => t.Role is not ("system" or "user" or "assistant")) ? null : turns;
    }
}
