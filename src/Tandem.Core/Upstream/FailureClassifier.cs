using System.Globalization;
using Tandem.Providers;

namespace Tandem.Upstream;

/// <summary>
/// The one definition of what a try's outcome means: whether another try may help (retry), whether it counts against
/// the deployment's health (breaker), and what Tandem answers when no deployment serves (fallback and the client's
/// error). Every caller — client requests, shadow, judge, escalation, eval, over HTTP or to an in-process client
/// (<see cref="CallOutcome"/>) — goes through it.
/// </summary>
/// <remarks>
/// <code>
///   outcome                          retry  breaker  fallback  client answer
///   no connection / reset / broke     yes    yes      yes       502 upstream_unreachable
///   timeout (or 408)                  yes    yes      yes       504 upstream_timeout
///   429                               yes*   no       yes       429 + Retry-After (upstream body relayed)
///   5xx, overloaded                   yes    yes      yes       502 upstream_error
///   409                               yes    no       yes       502 upstream_error
///   401 / 403 / 404                   no     no       yes       502 upstream_rejected (never echoed: may quote the credential)
///   no usable credentials (adapter)   yes    no       yes       502 upstream_credentials
///   in-process client threw (other)   yes    yes      yes       502 upstream_error
///   context too long                  no     no       larger    upstream status and body
///   other 4xx                         no     no       no        upstream status and body (the request's own fault)
///   * only while Retry-After is within the deployment's max_retry_after
/// </code>
/// Rate limiting is not ill health: a 429 moves on to the next deployment but never opens the breaker.
/// </remarks>
internal static class FailureClassifier
{
    /// <summary>Whether trying the same deployment again may help.</summary>
    public static bool IsTransient(CallOutcome call) =>
        call.Error is not null
        || call.Status is 408 or 409 or 429 or >= 500
        || call.ProviderError.Kind is ProviderErrorKind.Overloaded or ProviderErrorKind.RateLimited;

    /// <summary>Whether the outcome says the deployment is unhealthy.</summary>
    public static bool CountsAgainstBreaker(CallOutcome call) =>
        call.ProviderError.Kind != ProviderErrorKind.RateLimited
        && (call.Error is not (null or "credentials")
            || call.Status is 408 or >= 500
            || call.ProviderError.Kind == ProviderErrorKind.Overloaded);

    /// <summary>The failure a finished try stands for; null when it succeeded.</summary>
    public static UpstreamFailure? Classify(CallOutcome call, string deployment, ProviderRuntime provider, SecretScrubber secrets)
    {
        if (call.Succeeded)
        {
            return null;
        }

        var status = call.Status;
        switch (call.Error)
        {
            case "timeout":
                return new UpstreamFailure(deployment, FailureKind.Timeout, 504, "upstream_timeout",
                    $"Deployment '{deployment}' did not answer within its timeouts (first byte {Seconds(provider.FirstByteTimeout)} s, total {Seconds(provider.TotalTimeout)} s).");
            case "credentials":
                return new UpstreamFailure(deployment, FailureKind.Rejected, 502, "upstream_credentials",
                    $"Deployment '{deployment}' could not authenticate its request: {secrets.Scrub(call.Detail ?? "no usable credentials")}");
            case "exception":
                // An in-process client threw something that is neither a status nor a transport failure: the
                // deployment failed, and another may serve. Its message is scrubbed like an upstream's.
                return new UpstreamFailure(deployment, FailureKind.ServerError, 502, "upstream_error",
                    $"Deployment '{deployment}' failed: {secrets.Scrub(call.Detail ?? "an exception")}");
            case "interrupted":
                return new UpstreamFailure(deployment, FailureKind.Connect, 502, "upstream_interrupted",
                    $"Deployment '{deployment}' broke off its answer before it started.");
            case not null:
                return new UpstreamFailure(deployment, FailureKind.Connect, 502, "upstream_unreachable",
                    $"Deployment '{deployment}' could not be reached ({call.Error}).");
        }

        var relayed = call.HeadersToRelay;
        var message = call.ProviderError.Message is { } m ? secrets.Scrub(m) : null;
        // Only an OpenAI-shaped error body is relayed as is; a translating adapter's provider speaks another shape,
        // and its client gets an OpenAI error built from the message instead.
        var body = call.ErrorBody is { Length: > 0 } b && Wire.OpenAiError.MessageOf(b) is not null ? secrets.Scrub(b) : null;
        var code = status.ToString(CultureInfo.InvariantCulture);
        if (status == 429 || call.ProviderError.Kind == ProviderErrorKind.RateLimited)
        {
            return new UpstreamFailure(deployment, FailureKind.RateLimited, 429, "rate_limit_exceeded", $"Deployment '{deployment}' is rate limited; retry later.")
            {
                UpstreamStatus = status,
                Body = body,
                RetryAfter = call.RetryAfter,
                Headers = relayed,
            };
        }

        if (status == 408)
        {
            return new UpstreamFailure(deployment, FailureKind.Timeout, 504, "upstream_timeout", $"Deployment '{deployment}' timed out (HTTP 408).") { UpstreamStatus = status };
        }

        if (status >= 500 || status == 409 || call.ProviderError.Kind == ProviderErrorKind.Overloaded)
        {
            var detail = message is not null ? ": " + message : "";
            return new UpstreamFailure(deployment, FailureKind.ServerError, 502, "upstream_error", $"Deployment '{deployment}' failed with HTTP {code}{detail}")
            {
                UpstreamStatus = status,
                RetryAfter = call.RetryAfter,
            };
        }

        if (status is 401 or 403 or 404 || call.ProviderError.Kind == ProviderErrorKind.Rejected)
        {
            // Tandem's configuration problem, not the client's: never echo the upstream's message (an upstream 401 can
            // quote part of the credential). Another deployment may still serve.
            return new UpstreamFailure(deployment, FailureKind.Rejected, 502, "upstream_rejected", $"Deployment '{deployment}' failed with HTTP {code}") { UpstreamStatus = status };
        }

        if (call.ProviderError.Kind == ProviderErrorKind.ContextLength)
        {
            return new UpstreamFailure(deployment, FailureKind.ContextLength, status, "context_length_exceeded", message ?? "The prompt is too long for the deployment's context window.")
            {
                UpstreamStatus = status,
                Body = body,
            };
        }

        // Other 4xx (400, 413, 422…) are about the request itself: relay status and body as they are.
        return new UpstreamFailure(deployment, FailureKind.ClientError, status, "upstream_" + code, message ?? $"Deployment '{deployment}' refused the request (HTTP {code}).")
        {
            UpstreamStatus = status,
            Body = body,
            Headers = relayed,
        };
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
