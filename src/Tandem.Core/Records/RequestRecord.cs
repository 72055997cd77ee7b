namespace Tandem.Records;

/// <summary>One try of one deployment within a request.</summary>
/// <param name="Deployment">The deployment tried.</param>
/// <param name="Status">HTTP status it answered with (0 when none: connect failure, timeout).</param>
/// <param name="Error">A short error code (<c>connect</c>, <c>timeout</c>, <c>http_503</c>…), or null on success.</param>
/// <param name="LatencyMs">Time from sending to the response headers (or the failure).</param>
public readonly record struct AttemptRecord(string Deployment, int Status, string? Error, double LatencyMs);

/// <summary>What Tandem keeps of a request it served (or refused after authentication).</summary>
public sealed class RequestRecord
{
    /// <summary>The request id (the client's <c>x-request-id</c> or one Tandem made).</summary>
    public string Id { get; set; } = "";

    /// <summary>When the request arrived.</summary>
    public DateTimeOffset Time { get; set; }

    /// <summary><c>chat</c>, <c>completions</c> or <c>embeddings</c>.</summary>
    public string Operation { get; set; } = "chat";

    /// <summary>The gateway key's name.</summary>
    public string Key { get; set; } = "";

    /// <summary>The route resolved, when the model named one.</summary>
    public string? Route { get; set; }

    /// <summary>The deployment that served (or last failed).</summary>
    public string? Deployment { get; set; }

    /// <summary>Why that deployment was chosen.</summary>
    public string Decision { get; set; } = "";

    /// <summary>Each deployment tried, in order.</summary>
    public List<AttemptRecord> Attempts { get; } = new(1);

    /// <summary>Whether the client asked for a stream.</summary>
    public bool Stream { get; set; }

    /// <summary>The status the client got (499 when it went away).</summary>
    public int Status { get; set; }

    /// <summary>Error code when the request failed.</summary>
    public string? Error { get; set; }

    /// <summary>Time spent in Tandem itself, not waiting on an upstream.</summary>
    public double OverheadMs { get; set; }

    /// <summary>Time from the first upstream send to the end of the answer.</summary>
    public double UpstreamMs { get; set; }

    /// <summary>Time from arrival to the first streamed chunk relayed, for streams.</summary>
    public double? TtftMs { get; set; }

    /// <summary>Time from arrival to the end of the response.</summary>
    public double TotalMs { get; set; }

    /// <summary>Prompt tokens (cached ones included).</summary>
    public int PromptTokens { get; set; }

    /// <summary>Prompt tokens served from the provider's cache.</summary>
    public int CachedTokens { get; set; }

    /// <summary>Completion tokens (reasoning ones included).</summary>
    public int CompletionTokens { get; set; }

    /// <summary>Reasoning tokens.</summary>
    public int ReasoningTokens { get; set; }

    /// <summary>Whether the token counts were estimated by Tandem because the upstream reported none.</summary>
    public bool TokensEstimated { get; set; }

    /// <summary>Cost in US dollars of the tokens (per-token prices), 0 for fixed-cost capacity.</summary>
    public decimal Cost { get; set; }

    /// <summary>Finish reason of the first choice.</summary>
    public string? FinishReason { get; set; }

    /// <summary>The model the upstream reported.</summary>
    public string? UpstreamModel { get; set; }

    /// <summary>The upstream's system fingerprint.</summary>
    public string? SystemFingerprint { get; set; }

    /// <summary>Client tags (<c>metadata</c> strings and <c>x-tandem-tag-*</c> headers).</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; set; }

    /// <summary>The end user (<c>user</c> field), hashed when configured.</summary>
    public string? EndUser { get; set; }

    /// <summary>Prompt content, only when the route's capture setting allows it.</summary>
    public string? PromptContent { get; set; }

    /// <summary>Answer content, only when the route's capture setting allows it.</summary>
    public string? ResponseContent { get; set; }
}

/// <summary>Where finished records go. Must never block or throw on the request path.</summary>
public interface IRecordSink
{
    /// <summary>Hands a record over; returns false when it had to be dropped.</summary>
    bool TryWrite(RequestRecord record);
}
