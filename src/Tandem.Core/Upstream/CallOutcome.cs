using Tandem.Providers;

namespace Tandem.Upstream;

/// <summary>
/// What one try of a deployment came to, whatever carried it: an HTTP call through the provider's adapter
/// (<see cref="DeploymentInvoker.SendAsync"/>) or a call to an in-process client (<see cref="DeploymentInvoker.InvokeAsync"/>).
/// It is the one input of the deployment's retries and circuit breaker (<see cref="DeploymentResilience"/>) and of the
/// failure classification that decides fallback and the caller's error, so both kinds of call mean the same thing.
/// Failures are values: an HTTP status, an error label, what the provider's error body said, its Retry-After.
/// </summary>
public abstract class CallOutcome : IDisposable
{
    /// <summary>Creates an outcome bounded by <paramref name="cancellation"/> (the try's timeouts, linked to the caller's token); the outcome owns it.</summary>
    protected CallOutcome(CancellationTokenSource cancellation)
    {
        ArgumentNullException.ThrowIfNull(cancellation);
        Cancellation = cancellation;
    }

    /// <summary>
    /// Bounds the rest of the exchange (timeouts; cancelled by the caller's token too). Hand out its token while the try
    /// is in use; its timeouts are the invoker's (an in-process try's source is reused once the try is disposed).
    /// </summary>
    public CancellationTokenSource Cancellation { get; }

    /// <summary>The upstream's HTTP status (an in-process client's when its error carried one); 0 when none came.</summary>
    public int Status { get; set; }

    /// <summary>
    /// Why no usable answer came, when no status says it: <c>connect</c>, <c>dns</c>, <c>tls</c>, <c>connection_reset</c>,
    /// <c>timeout</c>, <c>interrupted</c>, <c>credentials</c>, or <c>exception</c> (an in-process client threw something
    /// else, described in <see cref="Detail"/>); null otherwise.
    /// </summary>
    public string? Error { get; set; }

    /// <summary>Why the call could not be made or failed, when <see cref="Error"/> is <c>credentials</c> or <c>exception</c>.</summary>
    public string? Detail { get; set; }

    /// <summary>What an error status's body said.</summary>
    public ProviderError ProviderError { get; set; }

    /// <summary>An error status's body, as received (bounded).</summary>
    public byte[]? ErrorBody { get; set; }

    /// <summary>The upstream's Retry-After hint.</summary>
    public TimeSpan? RetryAfter { get; set; }

    /// <summary>Whether this try produced an answer.</summary>
    public bool Succeeded => Error is null && Status is >= 200 and < 300;

    /// <summary>Upstream headers a relayed error should carry to the client (rate-limit state); none by default.</summary>
    internal virtual IReadOnlyList<KeyValuePair<string, string>> HeadersToRelay => [];

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the try holds: the token source, and what a subclass adds.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReleaseCancellation();
        }
    }

    /// <summary>Disposes the token source (an in-process try hands it back for reuse instead: <see cref="TryDeadline"/>).</summary>
    private protected virtual void ReleaseCancellation() => Cancellation.Dispose();
}
