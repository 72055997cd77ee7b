using System.Diagnostics;
using Polly.CircuitBreaker;
using Tandem.Telemetry;

namespace Tandem.Upstream;

public sealed partial class DeploymentInvoker
{
    /// <summary>
    /// Calls the deployment through an in-process client rather than its provider's HTTP adapter, under the same seam
    /// as <see cref="SendAsync"/>: the isolated breaker check, the provider's concurrency limiter, the deployment's
    /// retries and circuit breaker (<see cref="DeploymentResilience"/>), the provider's first-byte and total timeouts,
    /// the request's trace and span per try, and the one failure classification.
    /// </summary>
    /// <remarks>
    /// <code>
    ///   breaker isolated? ─► limiter slot ─► Polly: retry ⊃ breaker ⊃ try
    ///   try: token = caller ∨ min(first byte, total left) ─► tryOnce fills the call (answer, or status/error) ─► trace
    ///   classify ─► InvocationResult: an answer (holds slot; total timeout now bounds the rest) or an UpstreamFailure
    /// </code>
    /// <paramref name="tryOnce"/> is called once per try with a fresh <see cref="InProcessCall{TAnswer}"/>: it calls its
    /// client with <c>call.Cancellation.Token</c> and either calls <see cref="InProcessCall{TAnswer}.Succeed"/> or sets
    /// what went wrong (<see cref="CallOutcome.Status"/>, <see cref="CallOutcome.Error"/>, <see cref="CallOutcome.ProviderError"/>,
    /// <see cref="CallOutcome.RetryAfter"/>). Failures are values: a timeout of the try's token becomes <c>timeout</c>,
    /// any other exception escaping it becomes <c>exception</c>; only the caller's cancellation throws.
    /// </remarks>
    /// <typeparam name="TAnswer">What the client answers.</typeparam>
    /// <typeparam name="TState">State passed to <paramref name="tryOnce"/> (a static lambda needs no closure).</typeparam>
    /// <param name="trace">The request's trace: every try is added to it.</param>
    /// <param name="requestId">The request id, for logs.</param>
    /// <param name="purpose">Who calls (client, shadow, judge…), for spans.</param>
    /// <param name="state">Passed to <paramref name="tryOnce"/>.</param>
    /// <param name="tryOnce">One try of the client.</param>
    /// <param name="cancellationToken">The caller's token: cancels the call and throws.</param>
    public async ValueTask<InvocationResult<TAnswer>> InvokeAsync<TAnswer, TState>(UpstreamTrace trace, string? requestId, UpstreamPurpose purpose, TState state,
        Func<TState, InProcessCall<TAnswer>, ValueTask> tryOnce, CancellationToken cancellationToken = default)
        where TAnswer : class
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(tryOnce);
        var deployment = _deployment;
        var provider = deployment.Provider;
        if (Isolated(trace) is { } isolated)
        {
            return new InvocationResult<TAnswer>(deployment, isolated);
        }

        var waitStart = Stopwatch.GetTimestamp();
        var lease = await RateLimitLeaseHolder.AcquireAsync(provider.Limiter, cancellationToken).ConfigureAwait(false);
        trace.WaitTicks += Stopwatch.GetTimestamp() - waitStart;
        if (!lease.Acquired)
        {
            lease.Dispose();
            return new InvocationResult<TAnswer>(deployment, AtCapacity(trace, waitStart));
        }

        try
        {
            InProcessCall<TAnswer> call;
            try
            {
                call = (InProcessCall<TAnswer>)await deployment.Resilience.Pipeline.ExecuteAsync(
                    static (s, token) => s.Self.TryInProcessAsync(s.Trace, s.Purpose, s.State, s.TryOnce, token),
                    (Self: this, Trace: trace, Purpose: purpose, State: state, TryOnce: tryOnce),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (BrokenCircuitException e)
            {
                trace.Attempt(deployment.Name, 0, "breaker_open", Stopwatch.GetTimestamp());
                lease.Dispose();
                return new InvocationResult<TAnswer>(deployment, BreakerOpen(e.RetryAfter));
            }

            if (FailureClassifier.Classify(call, deployment.Name, provider, _secrets) is { } failure)
            {
                UpstreamLog.UpstreamFailed(_logger, requestId ?? "-", deployment.Name, failure.Short);
                var exception = call.Exception;
                call.Dispose();
                lease.Dispose();
                return new InvocationResult<TAnswer>(deployment, failure, exception);
            }

            // From here the total timeout bounds the rest of the answer (a stream's later updates).
            call.CancelAfter(Min(provider.TotalTimeout - Stopwatch.GetElapsedTime(trace.FirstSend), MaxTimer));
            return new InvocationResult<TAnswer>(deployment, call, lease.Lease!);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>One in-process try; Polly calls it once per retry.</summary>
    private async ValueTask<CallOutcome> TryInProcessAsync<TAnswer, TState>(UpstreamTrace trace, UpstreamPurpose purpose, TState state,
        Func<TState, InProcessCall<TAnswer>, ValueTask> tryOnce, CancellationToken cancellationToken)
        where TAnswer : class
    {
        var provider = _deployment.Provider;
        var start = Stopwatch.GetTimestamp();
        if (trace.FirstSend == 0)
        {
            trace.FirstSend = start;
        }

        var call = new InProcessCall<TAnswer>(cancellationToken);
        using var activity = StartAttemptActivity(purpose);
        try
        {
            var remaining = provider.TotalTimeout - Stopwatch.GetElapsedTime(trace.FirstSend);
            if (remaining < MinimumTryBudget)
            {
                call.Error = "timeout";
            }
            else
            {
                call.CancelAfter(Min(provider.FirstByteTimeout, remaining));
                await tryOnce(state, call).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            trace.WaitTicks += Stopwatch.GetTimestamp() - start;
            trace.Attempt(_deployment.Name, call.Status, "client_closed", start);
            call.Dispose();
            throw;
        }
        catch (OperationCanceledException e)
        {
            // The try's own timeouts, or the client's (an HttpClient's Timeout surfaces as a cancellation too).
            call.Error = "timeout";
            call.Exception = e;
        }
        catch (Exception e)
        {
            call.Error = "exception";
            call.Detail = e.GetType().Name + ": " + e.Message;
            call.Exception = e;
        }

        EndAttempt(trace, call, start, activity);
        return call;
    }
}
