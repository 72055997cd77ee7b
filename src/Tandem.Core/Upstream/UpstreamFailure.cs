using System.Globalization;

namespace Tandem.Upstream;

/// <summary>Why a deployment did not serve a call. One vocabulary for retries, the breaker, fallback, records and errors.</summary>
public enum FailureKind
{
    /// <summary>The provider's concurrency limit and queue were full.</summary>
    Capacity,

    /// <summary>The deployment's circuit breaker is open or isolated; no call was made.</summary>
    BreakerOpen,

    /// <summary>No connection could be made, or it broke before the response started.</summary>
    Connect,

    /// <summary>No response (or, for a buffered answer, no complete body) within the timeouts.</summary>
    Timeout,

    /// <summary>The upstream answered 429.</summary>
    RateLimited,

    /// <summary>The upstream answered 5xx, or said it is overloaded.</summary>
    ServerError,

    /// <summary>The upstream refused Tandem's credential or does not know the model (401, 403, 404): a configuration problem.</summary>
    Rejected,

    /// <summary>The prompt does not fit the deployment's context window.</summary>
    ContextLength,

    /// <summary>The upstream refused the request itself (another 4xx): the client's error, relayed and never retried.</summary>
    ClientError,

    /// <summary>Tandem cannot express the request in the provider's protocol (a field it cannot translate).</summary>
    Untranslatable,
}

/// <summary>
/// Why one deployment could not serve: the failure's kind, the status and OpenAI error Tandem answers with, and what
/// the upstream said (its body for errors that are relayed; its Retry-After hint).
/// </summary>
/// <param name="Deployment">The deployment that failed.</param>
/// <param name="Kind">What went wrong.</param>
/// <param name="Status">The HTTP status Tandem answers with when no other deployment serves.</param>
/// <param name="Code">The OpenAI error <c>code</c> Tandem answers with, e.g. <c>upstream_timeout</c>.</param>
/// <param name="Message">A message safe to show the client (never an upstream credential).</param>
public sealed record UpstreamFailure(string Deployment, FailureKind Kind, int Status, string Code, string Message)
{
    /// <summary>The upstream's status (0 when it gave none).</summary>
    public int UpstreamStatus { get; init; }

    /// <summary>An OpenAI-shaped error body to relay as is (client errors, rate limits with a message), secrets removed.</summary>
    public byte[]? Body { get; init; }

    /// <summary>How long the upstream asked callers to wait.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Upstream headers the client should see with a relayed error (rate-limit state; see <see cref="RelayedHeaders"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The OpenAI error <c>param</c>, when one field is at fault.</summary>
    public string? Param { get; init; }

    /// <summary>Whether another deployment may serve instead. Client errors are the request's own and are never retried elsewhere.</summary>
    public bool MayFallBack => Kind is not (FailureKind.ClientError or FailureKind.Untranslatable);

    /// <summary>A short label for decisions and logs: the upstream status for HTTP failures, else the code.</summary>
    public string Short => Kind is FailureKind.ServerError or FailureKind.Rejected && UpstreamStatus > 0
        ? UpstreamStatus.ToString(CultureInfo.InvariantCulture)
        : Code;

    /// <summary>The OpenAI error <c>type</c> for <see cref="Status"/>.</summary>
    public string ErrorType => Status switch
    {
        429 => Wire.ErrorTypes.RateLimit,
        504 => Wire.ErrorTypes.Timeout,
        >= 400 and < 500 => Wire.ErrorTypes.InvalidRequest,
        _ => Wire.ErrorTypes.Upstream,
    };
}
