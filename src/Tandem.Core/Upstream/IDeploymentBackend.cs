using Tandem.Runtime;

namespace Tandem.Upstream;

/// <summary>
/// Calls deployments to completion off the client's path (shadow calls and the judge a migration samples), for a
/// caller whose deployments are not all reached over HTTP. The gateway needs none: each deployment's own seam
/// (<see cref="DeploymentInvoker.CompleteAsync"/>) serves. An in-process client brings one that calls its
/// <c>IChatClient</c> deployments through the same seam (<see cref="DeploymentInvoker.InvokeAsync"/>) and the others over HTTP.
/// </summary>
public interface IDeploymentBackend
{
    /// <summary>Sends <paramref name="request"/> to <paramref name="deployment"/> and reads the whole answer; failures are values.</summary>
    /// <param name="deployment">The deployment to call.</param>
    /// <param name="request">The request in OpenAI's format (its purpose says who calls).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<UpstreamReply> CompleteAsync(DeploymentRuntime deployment, UpstreamRequest request, CancellationToken cancellationToken = default);
}
