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
public static class FallbackChain
{
    /// <summary>Serves <paramref name="request"/> with <paramref name="plan"/>: the first answer, or the last failure.</summary>
    /// <remarks>The caller disposes the result. Fallback steps are noted in the request's trace.</remarks>
    public static async ValueTask<UpstreamResult> ServeAsync(RoutePlan plan, UpstreamRequest request, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(logger);
        var chain = plan.Chain;
        UpstreamResult? last = null;
        for (var i = 0; i < chain.Count; i++)
        {
            var deployment = chain[i];
            if (last?.Failure is { Kind: FailureKind.ContextLength } && !HasLargerWindow(deployment, last.Deployment))
            {
                continue;
            }

            var result = await deployment.Invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
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
                request.Trace.Note($"; fallback: {deployment.Name} {failure.Short} -> {next.Name}");
                UpstreamLog.FallingBack(logger, request.RequestId ?? "-", deployment.Name, failure.Short, next.Name);
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
