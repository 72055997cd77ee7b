using System.Runtime.CompilerServices;
using System.Text;
using Tandem.Configuration;
using Tandem.Quality;
using Tandem.Runtime;
using Tandem.Wire;

namespace Tandem.Server.Proxy;

/// <summary>What <see cref="Escalation.EvaluateAsync"/> decided for one served answer.</summary>
/// <param name="Escalated">True: serve <see cref="Body"/> (the stronger deployment's answer) instead of the cheap one.</param>
/// <param name="Reason">Why, for the record (<c>score 2 &lt; 3</c>, <c>judge verdict unparseable: keep</c>…).</param>
/// <param name="Judgement">The judge's verdict on the cheap answer, when it was asked.</param>
/// <param name="Deployment">The stronger deployment, when it answered.</param>
/// <param name="Status">Its HTTP status, when it answered.</param>
/// <param name="Body">Its response body as received (model as the upstream reported it).</param>
/// <param name="Facts">Usage, model and finish reason of its response.</param>
internal sealed record EscalationResult(bool Escalated, string Reason, JudgeScore? Judgement, string? Deployment = null, int Status = 0, byte[]? Body = null, ResponseFacts? Facts = null)
{
    public static EscalationResult Keep(string reason, JudgeScore? judgement = null) => new(false, reason, judgement);
}

/// <summary>
/// The gateway side of route escalation (<c>routes[i].escalation</c>): after a non-streaming chat answer was received
/// from the route's deployment, a judge scores it; below the threshold the stronger deployment is asked and its
/// answer is served instead. Both answers' facts are returned so that the record can keep both.
/// </summary>
/// <remarks>
/// Hook in the proxy (non-streaming chat, after buffering the 2xx upstream body and before writing the client response):
/// <code>
///   if (Escalation.AppliesTo(x.Route, x.Operation, x.Request)) { var e = await Escalation.EvaluateAsync(x.Snapshot, x.Route!, clientBody.WrittenMemory, upstreamBytes, ctx.RequestAborted); … }
/// </code>
/// The cheap answer stays served whenever escalation cannot help: no text to judge, a failed or unreadable judge
/// (unless <c>on_judge_failure: escalate</c>), or a stronger deployment that fails in turn.
/// </remarks>
internal static class Escalation
{
    // One policy (and judge) per route runtime: a reload builds new route runtimes, so settings never go stale, and
    // a judge that learned its provider refuses JSON mode keeps that knowledge for the snapshot's lifetime.
    private static readonly ConditionalWeakTable<RouteRuntime, EscalationPolicy> Policies = new();

    /// <summary>Whether escalation is configured for the route and possible for this request (non-streaming chat).</summary>
    public static bool AppliesTo(RouteRuntime? route, ApiOperation operation, ApiRequest? request) =>
        route?.Config.Escalation is not null && operation == ApiOperation.ChatCompletions && request is { Stream: false };

    /// <summary>Judges the served answer and, when it scores low, asks the stronger deployment.</summary>
    /// <param name="snapshot">The snapshot the request runs under (judge and target deployments are resolved in it).</param>
    /// <param name="route">The route, with its escalation settings.</param>
    /// <param name="clientBody">The client's request body as received.</param>
    /// <param name="servedResponse">The route deployment's 2xx response body.</param>
    /// <param name="cancellationToken">The client's request-aborted token.</param>
    public static async Task<EscalationResult> EvaluateAsync(GatewaySnapshot snapshot, RouteRuntime route, ReadOnlyMemory<byte> clientBody, ReadOnlyMemory<byte> servedResponse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(route);
        if (route.Config.Escalation is not { } config)
        {
            return EscalationResult.Keep("no escalation configured");
        }

        if (!snapshot.Deployments.TryGetValue(config.Judge, out var judgeDeployment) || !snapshot.Deployments.TryGetValue(config.To, out var target))
        {
            // The validator rejects such configurations; a snapshot built without validation must not crash the path.
            return EscalationResult.Keep("escalation deployments not found: keep");
        }

        if (ApiRequest.Parse(clientBody.Span, ApiOperation.ChatCompletions, out _) is not { Stream: false })
        {
            return EscalationResult.Keep("not a non-streaming chat request: keep");
        }

        var served = new ResponseFacts { Content = new StringBuilder() };
        served.Read(servedResponse.Span);
        if (served.IsError)
        {
            return EscalationResult.Keep("served answer is an error: keep");
        }

        var policy = Policies.GetValue(route, _ => new EscalationPolicy(
            LlmJudge.ForDeployment(judgeDeployment, new JudgeOptions { Rubric = config.Rubric }),
            config.Below,
            config.OnJudgeFailure == EscalationFailureModes.Escalate,
            config.Rubric));
        var decision = await policy.DecideAsync(clientBody, served.Content!.ToString(), cancellationToken).ConfigureAwait(false);
        if (!decision.Escalate)
        {
            return EscalationResult.Keep(decision.Reason, decision.Judgement);
        }

        var reply = await DeploymentClient.SendChatAsync(target, clientBody, cancellationToken).ConfigureAwait(false);
        if (!reply.IsSuccess)
        {
            return EscalationResult.Keep($"{decision.Reason}; '{target.Name}' failed ({reply.Error}): keep", decision.Judgement);
        }

        return new EscalationResult(true, decision.Reason, decision.Judgement, target.Name, reply.Status, reply.Body, reply.Facts);
    }
}
