using Microsoft.Extensions.AI;
using Tandem.Runtime;
using Tandem.Upstream;

namespace Tandem.Extensions.AI.Internal;

/// <summary>
/// One deployment's answer or failure for the fallback chain, whichever carried the call: an in-process client
/// (<see cref="InvocationResult{TAnswer}"/>) or HTTP (<see cref="UpstreamResult"/>). Holds that result (its concurrency
/// slot, timeouts, connection) until disposed.
/// </summary>
internal sealed class DeploymentAnswer : IDeploymentOutcome
{
    private readonly IDisposable? _held;

    public DeploymentAnswer(DeploymentRuntime deployment, UpstreamFailure failure, Exception? exception = null, IDisposable? held = null)
    {
        Deployment = deployment;
        Failure = failure;
        Exception = exception;
        _held = held;
    }

    public DeploymentAnswer(DeploymentRuntime deployment, IDisposable held)
    {
        Deployment = deployment;
        _held = held;
    }

    public DeploymentRuntime Deployment { get; }

    public UpstreamFailure? Failure { get; }

    /// <summary>The exception of the last in-process try of a failure.</summary>
    public Exception? Exception { get; }

    /// <summary>A whole answer (non-streamed calls).</summary>
    public ChatResponse? Response { get; init; }

    /// <summary>A started stream of an in-process client.</summary>
    public StartedStream? ClientStream { get; init; }

    /// <summary>Bounds the rest of an in-process stream (total timeout, caller).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>A started event stream over HTTP.</summary>
    public UpstreamResult? HttpStream { get; init; }

    public void Dispose() => _held?.Dispose();
}

/// <summary>An in-process client's stream that has started: its enumerator, first update (null: it ended at once) and idle timer.</summary>
internal sealed class StartedStream(IAsyncEnumerator<ChatResponseUpdate> enumerator, ChatResponseUpdate? first, CancellationTokenSource idle) : IDisposable
{
    public IAsyncEnumerator<ChatResponseUpdate> Enumerator { get; } = enumerator;

    public ChatResponseUpdate? First { get; } = first;

    /// <summary>The client's token: cancelled after the provider's idle timeout without an update (re-armed per update).</summary>
    public CancellationTokenSource Idle { get; } = idle;

    // The enumerator is disposed asynchronously by the relay; only the timer is left here.
    public void Dispose() => Idle.Dispose();
}
