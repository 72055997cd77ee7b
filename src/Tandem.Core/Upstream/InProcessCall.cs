using System.Threading.RateLimiting;
using Tandem.Runtime;

namespace Tandem.Upstream;

/// <summary>
/// One try of a deployment served by an in-process client (an <c>IChatClient</c> handed to Tandem in code), made by
/// <see cref="DeploymentInvoker.InvokeAsync"/>: the answer when the try succeeded, else why it failed, in the same
/// terms as an HTTP try (status, error label, provider error, Retry-After) so that retries, the breaker and fallback
/// decide alike.
/// </summary>
/// <typeparam name="TAnswer">What the client answered (a whole response, or a stream that has started).</typeparam>
public sealed class InProcessCall<TAnswer> : CallOutcome
    where TAnswer : class
{
    private readonly TryDeadline _deadline;
    private int _released;

    /// <summary>A try bounded by the caller's token and a deadline (<see cref="CancelAfter"/>), reused from try to try.</summary>
    internal InProcessCall(CancellationToken caller)
        : this(TryDeadline.Rent(caller))
    {
    }

    private InProcessCall(TryDeadline deadline)
        : base(deadline.Source)
    {
        _deadline = deadline;
    }

    /// <summary>The answer, once <see cref="Succeed"/> was called.</summary>
    public TAnswer? Answer { get; private set; }

    /// <summary>The exception the client's try ended with, when it failed with one.</summary>
    public Exception? Exception { get; set; }

    /// <summary>Marks the try as answered (status 200).</summary>
    public void Succeed(TAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        Answer = answer;
        Status = 200;
        Error = null;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && Answer is IDisposable disposable)
        {
            disposable.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Sets the try's deadline (the invoker's timeouts), replacing the one before.</summary>
    internal void CancelAfter(TimeSpan delay) => _deadline.CancelAfter(delay);

    private protected override void ReleaseCancellation()
    {
        // Once: a deadline released twice could end a later try that reuses it.
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _deadline.Release();
        }
    }
}

/// <summary>
/// A deployment's answer or failure, as the fallback chain sees it: <see cref="UpstreamResult"/> for an HTTP call,
/// <see cref="InvocationResult{TAnswer}"/> for an in-process client, or a caller's own wrapper of either.
/// </summary>
public interface IDeploymentOutcome : IDisposable
{
    /// <summary>The deployment that answered (or failed).</summary>
    DeploymentRuntime Deployment { get; }

    /// <summary>Why the deployment did not serve; null for an answer.</summary>
    UpstreamFailure? Failure { get; }
}

/// <summary>
/// The outcome of <see cref="DeploymentInvoker.InvokeAsync"/>: a failure, or the client's answer. An answer holds the
/// provider's concurrency slot and the try's timeouts until it is disposed: dispose it when the caller is done with
/// the answer (for a stream, when it has ended).
/// </summary>
/// <typeparam name="TAnswer">What the client answered.</typeparam>
public sealed class InvocationResult<TAnswer> : IDeploymentOutcome
    where TAnswer : class
{
    private readonly InProcessCall<TAnswer>? _call;
    private readonly RateLimitLease? _lease;

    internal InvocationResult(DeploymentRuntime deployment, UpstreamFailure failure, Exception? exception = null)
    {
        Deployment = deployment;
        Failure = failure;
        Exception = exception;
    }

    internal InvocationResult(DeploymentRuntime deployment, InProcessCall<TAnswer> call, RateLimitLease lease)
    {
        Deployment = deployment;
        _call = call;
        _lease = lease;
    }

    /// <inheritdoc />
    public DeploymentRuntime Deployment { get; }

    /// <inheritdoc />
    public UpstreamFailure? Failure { get; }

    /// <summary>Whether the deployment answered.</summary>
    public bool IsSuccess => Failure is null;

    /// <summary>The answer; null for a failure.</summary>
    public TAnswer? Answer => _call?.Answer;

    /// <summary>The exception the last try ended with, for a failure that came from one (kept as the caller's inner exception).</summary>
    public Exception? Exception { get; }

    /// <summary>
    /// Bounds the rest of the answer (a stream's later updates) by the provider's total timeout and the caller's
    /// token; <see cref="CancellationToken.None"/> for a failure.
    /// </summary>
    public CancellationToken Cancellation => _call?.Cancellation.Token ?? CancellationToken.None;

    /// <inheritdoc />
    public void Dispose()
    {
        _call?.Dispose();
        _lease?.Dispose();
    }
}
