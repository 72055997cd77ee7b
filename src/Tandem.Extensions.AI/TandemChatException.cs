using Tandem.Upstream;

namespace Tandem.Extensions.AI;

/// <summary>
/// A call Tandem could not serve: no deployment of its plan answered (the last failure, with the status and OpenAI error
/// code the gateway would have answered), the request names no route, or a stream broke after its first update. The
/// exception an in-process client's last try ended with, if any, is the <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class TandemChatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TandemChatException()
        : this("Tandem could not serve the call.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TandemChatException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public TandemChatException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Status = 500;
        Code = "internal_error";
    }

    /// <summary>Creates the exception with what the gateway would have answered.</summary>
    /// <param name="status">The HTTP status the gateway would answer with.</param>
    /// <param name="code">The OpenAI error code, e.g. <c>upstream_timeout</c>.</param>
    /// <param name="message">A message safe to show (never an upstream credential).</param>
    /// <param name="innerException">The exception of the last in-process try, if any.</param>
    public TandemChatException(int status, string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
        Code = code;
    }

    /// <summary>The HTTP status the gateway would have answered with (e.g. 502, 504, 429, 400).</summary>
    public int Status { get; }

    /// <summary>The OpenAI error code, e.g. <c>upstream_timeout</c>, <c>rate_limit_exceeded</c>, <c>model_not_found</c>.</summary>
    public string Code { get; }

    /// <summary>The deployment that failed last, when one was tried.</summary>
    public string? Deployment { get; init; }

    /// <summary>How long the upstream asked callers to wait, when it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Why the deployment failed, when one was tried.</summary>
    public FailureKind? Kind { get; init; }

    internal static TandemChatException From(UpstreamFailure failure, Exception? inner) =>
        new(failure.Status, failure.Code, failure.Message, inner) { Deployment = failure.Deployment, RetryAfter = failure.RetryAfter, Kind = failure.Kind };
}
