using System.Diagnostics;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tandem.Buffers;
using Tandem.Migration;
using Tandem.Quality;
using Tandem.Routing;
using Tandem.Server.Configuration;
using Tandem.Server.Telemetry;
using Tandem.Telemetry;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Server.Proxy;

/// <summary>
/// The request path of <c>/v1/chat/completions</c>, <c>/v1/completions</c> and <c>/v1/embeddings</c>, as a pipeline.
/// </summary>
/// <remarks>
/// <code>
///   entry      authenticate ─► read body (bounded) ─► parse top-level fields ─► resolve route       (this class)
///   decide     route policy (rules, split, tiers) ─► migration stage                                 (Core: Routing, Migration)
///   limits     budgets and rate limits of key, team, route: atomic take in the shared store           (LimitGate, Core: Limits)
///   serve      fallback chain ─► upstream seam per deployment (limiter, retries, breaker, adapter)   (Core: FallbackChain, DeploymentInvoker)
///   relay      JSON whole | SSE event by event | held for escalation                                  (JsonRelay, SseRelay, EscalationRelay)
///   complete   record + metrics, handed to the background writer; limits settled; shadow job queued   (RecordCompletion, Core: MigrationCoordinator)
/// </code>
/// Errors before the answer starts are OpenAI-shaped (401/413/400/404/429/502/503/504); after it starts a stream ends
/// with an error event, never with <c>[DONE]</c>.
/// </remarks>
internal sealed class ChatProxy
{
    private readonly GatewayState _state;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly MigrationCoordinator _migrations;
    private readonly RecordCompletion _completion;
    private readonly LimitGate _limits;

    public ChatProxy(GatewayState state, ILogger<ChatProxy> logger, TimeProvider time, MigrationCoordinator migrations, RecordCompletion completion, LimitGate limits)
    {
        _limits = limits;
        _state = state;
        _logger = logger;
        _time = time;
        _migrations = migrations;
        _completion = completion;
    }

    public async Task HandleAsync(HttpContext ctx, ApiOperation operation)
    {
        var x = new Exchange(ctx, operation, _state.Current, Stopwatch.GetTimestamp(), _time.GetUtcNow());
        ctx.Response.Headers["x-request-id"] = x.RequestId;
        using var activity = TandemTelemetry.Source.StartActivity("tandem " + x.Record.Operation, ActivityKind.Internal);
        x.Activity = activity;
        activity?.SetTag("tandem.request_id", x.RequestId);
        try
        {
            await ServeAsync(x).ConfigureAwait(false);
        }
        catch (Exception e) when (ctx.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException or ConnectionResetException)
        {
            if (!x.ResponseComplete)
            {
                // The client went away before it had the whole answer. After the last byte was handed over it was
                // served, whatever became of the connection.
                x.Fail(499, "client_closed");
                Log.ClientAborted(_logger, x.RequestId);
            }
        }
        catch (Exception e)
        {
            Log.UnhandledError(_logger, x.RequestId, e);
            x.Fail(500, "internal_error");
            if (!ctx.Response.HasStarted)
            {
                await ProxyResponses.WriteErrorAsync(x, 500, "The gateway failed to process the request.", ErrorTypes.Server, null, "internal_error").ConfigureAwait(false);
            }
            else
            {
                ctx.Abort();
            }
        }
        finally
        {
            _completion.Complete(x);
        }
    }

    private async Task ServeAsync(Exchange x)
    {
        var ctx = x.Http;
        var key = x.Snapshot.Keys.Authenticate(RequestBody.PresentedKey(ctx.Request));
        if (key is null)
        {
            var missing = RequestBody.PresentedKey(ctx.Request).IsEmpty;
            x.Unrecorded = true;
            await ProxyResponses.WriteErrorAsync(x, 401,
                missing
                    ? "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'."
                    : "Incorrect API key provided.",
                ErrorTypes.InvalidRequest, null, "invalid_api_key").ConfigureAwait(false);
            return;
        }

        x.Record.Key = key.Name;
        using var body = new PooledBufferWriter((int)Math.Clamp(ctx.Request.ContentLength ?? 4096, 256, 1 << 20));
        var limit = x.Snapshot.Config.Server.MaxBodyBytes;
        if (!await RequestBody.ReadAsync(ctx, body, limit).ConfigureAwait(false))
        {
            x.Fail(413, "request_too_large");
            await ProxyResponses.WriteErrorAsync(x, 413, $"Request body exceeds the gateway's limit of {limit} bytes.", ErrorTypes.InvalidRequest, null, "request_too_large").ConfigureAwait(false);
            return;
        }

        var request = ApiRequest.Parse(body.WrittenSpan, x.Operation, out var problem);
        if (request is null)
        {
            x.Fail(400, problem.Code ?? "invalid_request");
            await ProxyResponses.WriteErrorAsync(x, 400, problem.Message, ErrorTypes.InvalidRequest, problem.Param, problem.Code).ConfigureAwait(false);
            return;
        }

        x.Request = request;
        x.Record.Stream = request.Stream;
        x.Record.Tags = request.Metadata;
        x.Record.EndUser = request.User;
        if (!x.Snapshot.TryResolve(request.Model, key, out var route, out var deployment))
        {
            x.Fail(404, "model_not_found");
            await ProxyResponses.WriteErrorAsync(x, 404, $"The model '{request.Model}' does not exist or you do not have access to it.", ErrorTypes.InvalidRequest, "model", "model_not_found").ConfigureAwait(false);
            return;
        }

        x.Route = route;
        x.Record.Route = route?.Name;
        string? localNote = null;
        if (route?.Local is { } local && LocalStage.AppliesTo(x.Operation, request))
        {
            // The route's distilled classifier answers first when it is sure (LocalRelay); else its guess is noted.
            var decision = local.Decide(body.WrittenSpan);
            if (decision.Answered)
            {
                x.Record.Decision = decision.Reason;
                await LocalRelay.RelayAsync(x, local, decision.Prediction.Label).ConfigureAwait(false);
                return;
            }

            localNote = decision.Reason;
        }

        var (plan, migration) = route is null
            ? (new RoutePlan([deployment!], "deployment named directly"), null)
            : Decide(x, route, body, key.Name);
        x.Record.Decision = localNote + plan.Reason;
        if (!await _limits.AdmitAsync(x, key, plan).ConfigureAwait(false))
        {
            return;
        }

        x.Upstream = new UpstreamRequest(x.Operation, request, body.WrittenMemory, UpstreamPurpose.Client, x.RequestId, x.Trace);
        var shadowQueued = false;
        if (migration?.Shadow is not null)
        {
            _migrations.ExpectShadow();
        }

        try
        {
            await ServeAndRelayAsync(x, plan, route, request).ConfigureAwait(false);
            shadowQueued = migration?.Shadow is not null && EnqueueShadow(x, body, migration);
        }
        finally
        {
            if (migration?.Shadow is not null && !shadowQueued)
            {
                _migrations.AbandonShadow();
            }
        }
    }

    private async Task ServeAndRelayAsync(Exchange x, RoutePlan plan, Tandem.Runtime.RouteRuntime? route, ApiRequest request)
    {
        using (var result = await FallbackChain.ServeAsync(plan, x.Upstream!, _logger, x.Http.RequestAborted).ConfigureAwait(false))
        {
            x.Deployment = result.Deployment;
            x.Record.Deployment = result.Deployment.Name;
            x.Record.Decision += x.Trace.Notes;
            if (result.Failure is { } failure)
            {
                await ProxyResponses.WriteFailureAsync(x, failure).ConfigureAwait(false);
            }
            else if (request.Stream && result.IsEventStream)
            {
                await SseRelay.RelayAsync(x, result, _logger).ConfigureAwait(false);
            }
            else if (route?.Escalator is not null && result.IsComplete && Escalator.AppliesTo(x.Operation, request))
            {
                await EscalationRelay.RelayAsync(x, result).ConfigureAwait(false);
            }
            else
            {
                await JsonRelay.RelayAsync(x, result).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The route policy's plan, adjusted to the route's migration stage. One view per request: both read the same request.</summary>
    private (RoutePlan Plan, MigrationDecision? Migration) Decide(Exchange x, Tandem.Runtime.RouteRuntime route, PooledBufferWriter body, string keyName)
    {
        var headers = x.Http.Request.Headers;
        var view = new RequestView(x.Request!, body.WrittenMemory, keyName, name => headers.TryGetValue(name, out var v) ? v.ToString() : null);
        var plan = route.Policy.Decide(view);
        if (!_migrations.HasMigrations || _migrations.Apply(route, view, plan) is not { } migration)
        {
            return (plan, null);
        }

        if (migration.Shadow is not null)
        {
            // The shadow comparison needs the served answer's text.
            x.Facts.Content ??= new System.Text.StringBuilder();
        }

        return (migration.Plan, migration);
    }

    /// <summary>After the client's answer is complete: hand it to the migration's shadow worker (never awaited).</summary>
    private bool EnqueueShadow(Exchange x, PooledBufferWriter body, MigrationDecision migration)
    {
        if (!_migrations.States.TryGetValue(x.Route!.Name, out var state) || x.Http.RequestAborted.IsCancellationRequested)
        {
            return false;
        }

        var served = x.Deployment?.Name;
        var ok = x.Record.Status == 200;
        var shadow = migration.Shadow!;

        // When the planned side failed and the other side served through fallback, the other side's outcome is
        // known already: record the failure rather than calling the same deployment twice.
        var fellBack = shadow.Name == served;
        return _migrations.TryEnqueueShadow(new ShadowJob
        {
            Route = x.Route.Name,
            RequestId = x.RequestId,
            Body = body.WrittenSpan.ToArray(),
            Operation = x.Operation,
            Shadow = fellBack ? null : shadow,
            OtherError = fellBack ? x.Record.Attempts.FirstOrDefault(a => a.Error is not null).Error ?? "failed" : null,
            ServedBy = served == state.Candidate ? "candidate" : "incumbent",
            ServedAnswer = ok ? x.Facts.Content?.ToString() : null,
            ServedError = ok ? null : x.Record.Error ?? "failed",
            ServedLatencyMs = Stopwatch.GetElapsedTime(0, x.UpstreamWaitTicks).TotalMilliseconds,
            ServedUsage = x.Facts.Usage,
            Stage = migration.Stage,
        });
    }
}
