using System.Diagnostics;
using Tandem.Records;
using Tandem.Upstream;

namespace Tandem.Server.Proxy;

/// <summary>
/// Routes with <c>escalation</c>: the cheap answer is held (not relayed) while a judge scores it; below the threshold
/// the stronger deployment answers instead. Both outcomes are recorded in the decision and the attempts.
/// </summary>
internal static class EscalationRelay
{
    public static async Task RelayAsync(Exchange x, UpstreamResult result)
    {
        var escalator = x.Route!.Escalator!;
        var cheap = result.Buffered;
        var judgeStart = Stopwatch.GetTimestamp();
        var outcome = await escalator.EvaluateAsync(x.Upstream!, cheap, x.Http.RequestAborted).ConfigureAwait(false);
        x.Trace.WaitTicks += Stopwatch.GetTimestamp() - judgeStart;
        var response = x.Http.Response;
        if (outcome is { Escalated: true, Reply: { } reply, Target: { } target })
        {
            x.Record.Decision += $"; escalated: {x.Deployment!.Name} {outcome.Reason} -> {target.Name}";
            x.Record.Attempts.Add(new AttemptRecord(target.Name, reply.Status, null, Stopwatch.GetElapsedTime(judgeStart).TotalMilliseconds));
            x.Deployment = target;
            x.Record.Deployment = target.Name;
            ProxyResponses.Start(x, result);
            response.StatusCode = reply.Status;
            response.Headers["x-tandem-escalation"] = "escalated";
            var facts = reply.Facts;
            x.Facts.Usage = facts.Usage;
            x.Facts.Model = facts.Model;
            x.Facts.SystemFingerprint = facts.SystemFingerprint;
            x.Facts.FinishReason = facts.FinishReason;
            x.Facts.ContentWanted = null;
            x.Facts.Content = Tandem.Costs.RecordFinisher.WantsContent(x.Route, target) ? facts.Content : null;

            x.Succeed(reply.Status);
            await ProxyResponses.WriteBodyAsync(x, reply.Body).ConfigureAwait(false);
            return;
        }

        x.Record.Decision += "; escalation kept: " + outcome.Reason;
        ProxyResponses.Start(x, result);
        response.Headers["x-tandem-escalation"] = "kept";
        x.Facts.Read(cheap.Span);
        x.Succeed(result.Status);
        await ProxyResponses.WriteBodyAsync(x, cheap).ConfigureAwait(false);
    }
}
