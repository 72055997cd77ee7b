using System.Globalization;

namespace Tandem.Storage;

/// <summary>
/// A paged, filtered listing of request records, newest first, for the dashboard's request log. Pages are keyset
/// pages (<see cref="RecordCursor"/>): a page costs the same at the millionth record as at the first.
/// </summary>
public interface IRecordSearch
{
    /// <summary>One page of records matching <paramref name="query"/>, newest first.</summary>
    Task<RecordPage> ListAsync(RecordQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Nearest-rank percentiles of total latency of the raw records with <c>from ≤ time &lt; to</c>, of one deployment
    /// or all; null when there are none.
    /// </summary>
    Task<LatencyPercentiles?> LatencyAsync(DateTimeOffset from, DateTimeOffset to, string? deployment = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// What sizing needs of the raw records with <c>from ≤ time &lt; to</c>: the tokens (in and out) of the busiest UTC
    /// minute, and the nearest-rank 95th percentile of a request's prompt + completion tokens.
    /// </summary>
    Task<TrafficPeaks> PeaksAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);
}

/// <summary>Peak load and context length of a window.</summary>
/// <param name="PeakMinuteTokens">Prompt + completion tokens of the busiest minute (0 when empty).</param>
/// <param name="PeakMinute">Start of that minute, null when empty.</param>
/// <param name="P95ContextTokens">95th percentile of prompt + completion tokens per request (0 when empty).</param>
public sealed record TrafficPeaks(long PeakMinuteTokens, DateTimeOffset? PeakMinute, long P95ContextTokens);

/// <summary>Total-latency percentiles (nearest rank: the value at rank ⌈p × n⌉ of n sorted values), milliseconds.</summary>
/// <param name="Count">Records measured.</param>
/// <param name="P50Ms">Median.</param>
/// <param name="P95Ms">95th percentile.</param>
/// <param name="P99Ms">99th percentile.</param>
public sealed record LatencyPercentiles(long Count, double P50Ms, double P95Ms, double P99Ms);

/// <summary>Filters and the page of a record listing. Null filters match everything.</summary>
public sealed record RecordQuery
{
    /// <summary>Largest page.</summary>
    public const int MaxLimit = 500;

    /// <summary>Only this route.</summary>
    public string? Route { get; init; }

    /// <summary>Only this deployment (the one that answered, or the last one tried).</summary>
    public string? Deployment { get; init; }

    /// <summary>Only this key name.</summary>
    public string? Key { get; init; }

    /// <summary>Only this HTTP status.</summary>
    public int? Status { get; init; }

    /// <summary>Only records with an error (<c>true</c>) or without (<c>false</c>).</summary>
    public bool? Failed { get; init; }

    /// <summary>Only records at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only records before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Only this request id.</summary>
    public string? RequestId { get; init; }

    /// <summary>The page after this cursor (from the previous page's <see cref="RecordPage.Next"/>); null for the newest.</summary>
    public RecordCursor? After { get; init; }

    /// <summary>Page size, 1 to <see cref="MaxLimit"/>.</summary>
    public int Limit { get; init; } = 50;
}

/// <summary>Where a page ended: the time and request id of its last record (records are ordered by both, descending).</summary>
/// <param name="TimeMs">Unix milliseconds of the last record.</param>
/// <param name="RequestId">Its request id.</param>
public sealed record RecordCursor(long TimeMs, string RequestId)
{
    /// <summary>The cursor as one opaque string, <c>TIME_MS.REQUEST_ID</c>.</summary>
    public override string ToString() => TimeMs.ToString(CultureInfo.InvariantCulture) + "." + RequestId;

    /// <summary>Reads <see cref="ToString"/>'s form back; false for anything else.</summary>
    public static bool TryParse(string? text, out RecordCursor? cursor)
    {
        cursor = null;
        var dot = text?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (text is null || dot <= 0 || dot == text.Length - 1
            || !long.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var time))
        {
            return false;
        }

        cursor = new RecordCursor(time, text[(dot + 1)..]);
        return true;
    }
}

/// <summary>One page of a record listing.</summary>
/// <param name="Records">The records, newest first.</param>
/// <param name="Next">The cursor of the next (older) page; null on the last page.</param>
public sealed record RecordPage(IReadOnlyList<RecordSummary> Records, RecordCursor? Next);

/// <summary>A record as the request log lists it (its attempts and content: <see cref="IRecordStore.GetAsync"/>).</summary>
public sealed record RecordSummary
{
    /// <summary>When the request arrived.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>The request id.</summary>
    public string Id { get; init; } = "";

    /// <summary><c>chat</c>, <c>completions</c>, <c>embeddings</c>.</summary>
    public string Operation { get; init; } = "";

    /// <summary>The key name.</summary>
    public string Key { get; init; } = "";

    /// <summary>The route, null for a deployment named directly.</summary>
    public string? Route { get; init; }

    /// <summary>The deployment that answered (or the last one tried).</summary>
    public string? Deployment { get; init; }

    /// <summary>Why this deployment: the routing decision.</summary>
    public string Decision { get; init; } = "";

    /// <summary>The HTTP status returned.</summary>
    public int Status { get; init; }

    /// <summary>The error code, null on success.</summary>
    public string? Error { get; init; }

    /// <summary>Deployments tried.</summary>
    public int Attempts { get; init; }

    /// <summary>Total latency, milliseconds.</summary>
    public double TotalMs { get; init; }

    /// <summary>Prompt tokens.</summary>
    public int PromptTokens { get; init; }

    /// <summary>Completion tokens.</summary>
    public int CompletionTokens { get; init; }

    /// <summary>Cost in dollars.</summary>
    public decimal Cost { get; init; }
}
