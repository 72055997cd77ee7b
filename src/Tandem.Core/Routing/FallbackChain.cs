using Microsoft.Extensions.Logging;
using Tandem.Runtime;
using Tandem.Telemetry;
using Tandem.Upstream;

namespace Tandem.Routing;

/// <summary>
/// Runs a plan: tries its deployments in order, each through its upstream seam, until one answers. A deployment counts
/// as failed only before its answer started (no connection, timeout, 5xx, 429 beyond its retries, open breaker, a
/// stream broken before its first chunk, context too long); once an answer is returned it is committed. A request the
/// upstream refused as such (another 4xx) is not tried elsewhere; after a context-length failure only deployments
/// with a larger window are tried.
/// </summary>
/// <remarks>
/// One chain for every caller: the gateway's (each deployment over HTTP, <see cref="ServeAsync(RoutePlan, UpstreamRequest, ILogger, CancellationToken)"/>)
/// and the in-process client's (each deployment through whatever serves it there, an <c>IChatClient</c> or HTTP,
/// <see cref="ServeAsync{TResult, TState}"/>).
/// </remarks>
public static class FallbackChain
{
    /// <summary>Serves <paramref name="request"/> with <paramref name="plan"/>: the first answer, or the last failure.</summary>
    /// <remarks>The caller disposes the result. Fallback steps are noted in the request's trace.</remarks>
    public static ValueTask<UpstreamResult> ServeAsync(RoutePlan plan, UpstreamRequest request, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ServeAsync(plan, request.Trace, request.RequestId, request, static (deployment, r, token) => deployment.Invoker.SendAsync(r, token), logger, cancellationToken);
    }

    /// <summary>
    /// Serves a request with <paramref name="plan"/>, calling each deployment with <paramref name="attempt"/>: the first
    /// answer, or the last failure.
    /// </summary>
    /// <typeparam name="TResult">What an attempt returns: a deployment's answer or failure.</typeparam>
    /// <typeparam name="TState">State passed to <paramref name="attempt"/> (a static lambda needs no closure).</typeparam>
    /// <param name="plan">The deployments to try, in order.</param>
    /// <param name="trace">The request's trace, where fallback steps are noted.</param>
    /// <param name="requestId">The request id, for logs.</param>
    /// <param name="state">Passed to <paramref name="attempt"/>.</param>
    /// <param name="attempt">Calls one deployment through its seam; failures are values.</param>
    /// <param name="logger">Where fallback steps are logged.</param>
    /// <param name="cancellationToken">The caller's token.</param>
    /// <remarks>The caller disposes the result; every other attempt's result is disposed here.</remarks>
    public static async ValueTask<TResult> ServeAsync<TResult, TState>(RoutePlan plan, UpstreamTrace trace, string? requestId, TState state,
        Func<DeploymentRuntime, TState, CancellationToken, ValueTask<TResult>> attempt, ILogger logger, CancellationToken cancellationToken = default)
        where TResult : class, IDeploymentOutcome
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(logger);
        var chain = plan.Chain;
        TResult? last = null;
        for (var i = 0; i < chain.Count; i++)
        {
            var deployment = chain[i];
            if (last?.Failure is { Kind: FailureKind.ContextLength } && !HasLargerWindow(deployment, last.Deployment))
            {
                continue;
            }

            var result = await attempt(deployment, state, cancellationToken).ConfigureAwait(false);
            last?.Dispose();
            last = result;
            if (result.Failure is not { } failure)
            {
                return result;
            }

            if (!failure.MayFallBack)
            {
                break;
            }

            if (NextCandidate(chain, i, failure, deployment) is { } next)
            {
                trace.Note($"; fallback: {deployment.Name} {failure.Short} -> {next.Name}");
                UpstreamLog.FallingBack(logger, requestId ?? "-", deployment.Name, failure.Short, next.Name);
            }
        }

        return last ?? throw new ArgumentException("a plan has at least one deployment", nameof(plan));
    }

    private static DeploymentRuntime? NextCandidate(IReadOnlyList<DeploymentRuntime> chain, int index, UpstreamFailure failure, DeploymentRuntime failed)
    {
        for (var j = index + 1; j < chain.Count; j++)
        {
            if (failure.Kind != FailureKind.ContextLength || HasLargerWindow(chain[j], failed))
            {
                return chain[j];
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="candidate"/> may take a prompt <paramref name="failed"/> could not (unknown windows count as larger).</summary>
    internal static bool HasLargerWindow(DeploymentRuntime candidate, DeploymentRuntime failed) =>
        candidate.Config.ContextWindow is not int w || failed.Config.ContextWindow is not int f || w > f;
}
