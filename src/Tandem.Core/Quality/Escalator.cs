using System.Text;
using Tandem.Configuration;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Quality;

/// <summary>What <see cref="Escalator.EvaluateAsync"/> decided for one served answer.</summary>
/// <param name="Escalated">True: serve <see cref="Reply"/> (the stronger deployment's answer) instead of the cheap one.</param>
/// <param name="Reason">Why, for the record (<c>score 2 &lt; 3</c>, <c>judge verdict unparseable: keep</c>…).</param>
/// <param name="Judgement">The judge's verdict on the cheap answer, when it was asked.</param>
/// <param name="Target">The stronger deployment, when it answered.</param>
/// <param name="Reply">Its whole answer, when it answered.</param>
public sealed record EscalationResult(bool Escalated, string Reason, JudgeScore? Judgement, DeploymentRuntime? Target = null, UpstreamReply? Reply = null)
{
    /// <summary>Keep the cheap answer.</summary>
    public static EscalationResult Keep(string reason, JudgeScore? judgement = null) => new(false, reason, judgement);
}

/// <summary>
/// Route escalation (<c>routes[i].escalation</c>): after a non-streaming chat answer was received from the route's
/// deployment, a judge scores it; below the threshold the stronger deployment is asked (through its upstream seam,
/// with its retries and breaker) and its answer is served instead. Built once per route and snapshot, so settings
/// never go stale, and a judge that learned its provider refuses JSON mode keeps that for the snapshot's lifetime.
/// </summary>
/// <remarks>
/// The cheap answer stays served whenever escalation cannot help: no text to judge, a failed or unreadable judge
/// (unless <c>on_judge_failure: escalate</c>), or a stronger deployment that fails in turn.
/// </remarks>
public sealed class Escalator
{
    private readonly EscalationPolicy _policy;

    private Escalator(EscalationPolicy policy, DeploymentRuntime target)
    {
        _policy = policy;
        Target = target;
    }

    /// <summary>The stronger deployment.</summary>
    public DeploymentRuntime Target { get; }

    /// <summary>The escalator of a route, or null when the route has none (or names deployments the snapshot lacks).</summary>
    internal static Escalator? For(RouteConfig route, IReadOnlyDictionary<string, DeploymentRuntime> deployments)
    {
        if (route.Escalation is not { } config
            || !deployments.TryGetValue(config.Judge, out var judge)
            || !deployments.TryGetValue(config.To, out var target))
        {
            // The validator rejects unknown names; a snapshot built without validation must not crash the path.
            return null;
        }

        var policy = new EscalationPolicy(
            LlmJudge.ForDeployment(judge, new JudgeOptions { Rubric = config.Rubric }),
            config.Below,
            config.OnJudgeFailure == EscalationFailureModes.Escalate,
            config.Rubric);
        return new Escalator(policy, target);
    }

    /// <summary>Whether escalation applies to a request: non-streaming chat.</summary>
    public static bool AppliesTo(ApiOperation operation, ApiRequest request) =>
        operation == ApiOperation.ChatCompletions && request is { Stream: false };

    /// <summary>Judges the served answer and, when it scores low, asks the stronger deployment.</summary>
    /// <param name="request">The client's request.</param>
    /// <param name="servedResponse">The route deployment's 2xx response body (OpenAI JSON).</param>
    /// <param name="cancellationToken">The client's request-aborted token.</param>
    public async Task<EscalationResult> EvaluateAsync(UpstreamRequest request, ReadOnlyMemory<byte> servedResponse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!AppliesTo(request.Operation, request.Api))
        {
            return EscalationResult.Keep("not a non-streaming chat request: keep");
        }

        var served = new ResponseFacts { Content = new StringBuilder() };
        served.Read(servedResponse.Span);
        if (served.IsError)
        {
            return EscalationResult.Keep("served answer is an error: keep");
        }

        var decision = await _policy.DecideAsync(request.Body, served.Content!.ToString(), cancellationToken).ConfigureAwait(false);
        if (!decision.Escalate)
        {
            return EscalationResult.Keep(decision.Reason, decision.Judgement);
        }

        var escalation = new UpstreamRequest(request.Operation, request.Api, request.Body, UpstreamPurpose.Escalation, request.RequestId, request.Trace);
        var reply = await Target.Invoker.CompleteAsync(escalation, cancellationToken).ConfigureAwait(false);
        if (!reply.IsSuccess)
        {
            return EscalationResult.Keep($"{decision.Reason}; '{Target.Name}' failed ({reply.Failure?.Short ?? "error"}): keep", decision.Judgement);
        }

        return new EscalationResult(true, decision.Reason, decision.Judgement, Target, reply);
    }
}
