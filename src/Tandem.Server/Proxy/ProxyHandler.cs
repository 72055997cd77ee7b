using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Tandem.Buffers;
using Tandem.Costs;
using Tandem.Migration;
using Tandem.Records;
using Tandem.Routing;
using Tandem.Runtime;
using Tandem.Server.Configuration;
using Tandem.Server.Telemetry;
using Tandem.Wire;

namespace Tandem.Server.Proxy;

/// <summary>
/// The request path for <c>/v1/chat/completions</c>, <c>/v1/completions</c> and <c>/v1/embeddings</c>.
/// </summary>
/// <remarks>
/// <code>
///   authenticate ─► read body (bounded) ─► parse top-level fields ─► resolve route ─► rewrite model
///        │                                                                              │
///        ▼                                                                              ▼
///   error (401/413/400/404)            attempt: limiter ─► send (first-byte timeout) ─► status?
///                                                   2xx ─► relay: JSON as it arrives | SSE event by event
///                                                   429 ─► relay with Retry-After;  5xx/timeout ─► 502/504
///   record + metrics (handed to the background writer, never awaited)
/// </code>
/// </remarks>
internal sealed class ProxyHandler
{
    private const int MaxCapturedResponseBytes = 1024 * 1024;
    private const int MaxSseEventBytes = 4 * 1024 * 1024;
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    private readonly GatewayState _state;
    private readonly IRecordSink _records;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly MigrationCoordinator _migrations;
    private readonly RecordFinisher _finisher;

    public ProxyHandler(GatewayState state, IRecordSink records, ILogger<ProxyHandler> logger, TimeProvider time, MigrationCoordinator migrations, RecordFinisher finisher)
    {
        _state = state;
        _records = records;
        _logger = logger;
        _time = time;
        _migrations = migrations;
        _finisher = finisher;
    }

    public async Task HandleAsync(HttpContext ctx, ApiOperation operation)
    {
        var exchange = new Exchange(ctx, operation, _state.Current, Stopwatch.GetTimestamp(), _time.GetUtcNow());
        ctx.Response.Headers["x-request-id"] = exchange.RequestId;
        try
        {
            await ServeAsync(exchange).ConfigureAwait(false);
        }
        catch (Exception e) when (ctx.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException or ConnectionResetException)
        {
            exchange.Fail(499, "client_closed");
            Log.ClientAborted(_logger, exchange.RequestId);
        }
        catch (Exception e)
        {
            Log.UnhandledError(_logger, exchange.RequestId, e);
            exchange.Fail(500, "internal_error");
            if (!ctx.Response.HasStarted)
            {
                await WriteErrorAsync(exchange, 500, "The gateway failed to process the request.", ErrorTypes.Server, null, "internal_error").ConfigureAwait(false);
            }
            else
            {
                ctx.Abort();
            }
        }
        finally
        {
            if (exchange.Record.Deployment is { } served && exchange.Record.Status == 200)
            {
                _migrations.ObserveIdentity(served, exchange.Facts.Model, exchange.Facts.SystemFingerprint);
            }

            Complete(exchange);
        }
    }

    private async Task ServeAsync(Exchange x)
    {
        var ctx = x.Http;
        var key = x.Snapshot.Keys.Authenticate(PresentedKey(ctx.Request));
        if (key is null)
        {
            var missing = PresentedKey(ctx.Request).IsEmpty;
            await WriteErrorAsync(x, 401,
                missing
                    ? "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'."
                    : "Incorrect API key provided.",
                ErrorTypes.InvalidRequest, null, "invalid_api_key").ConfigureAwait(false);
            x.Unrecorded = true;
            return;
        }

        x.Record.Key = key.Name;
        using var body = new PooledBufferWriter((int)Math.Clamp(ctx.Request.ContentLength ?? 4096, 256, 1 << 20));
        var limit = x.Snapshot.Config.Server.MaxBodyBytes;
        if (!await ReadBodyAsync(ctx, body, limit).ConfigureAwait(false))
        {
            x.Fail(413, "request_too_large");
            await WriteErrorAsync(x, 413, $"Request body exceeds the gateway's limit of {limit} bytes.", ErrorTypes.InvalidRequest, null, "request_too_large").ConfigureAwait(false);
            return;
        }

        var request = ApiRequest.Parse(body.WrittenSpan, x.Operation, out var problem);
        if (request is null)
        {
            x.Fail(400, problem.Code ?? "invalid_request");
            await WriteErrorAsync(x, 400, problem.Message, ErrorTypes.InvalidRequest, problem.Param, problem.Code).ConfigureAwait(false);
            return;
        }

        x.Request = request;
        x.Record.Stream = request.Stream;
        x.Record.Tags = request.Metadata;
        x.Record.EndUser = request.User;
        if (!x.Snapshot.TryResolve(request.Model, key, out var route, out var deployment))
        {
            x.Fail(404, "model_not_found");
            await WriteErrorAsync(x, 404, $"The model '{request.Model}' does not exist or you do not have access to it.", ErrorTypes.InvalidRequest, "model", "model_not_found").ConfigureAwait(false);
            return;
        }

        x.Route = route;
        x.Record.Route = route?.Name;
        // One view per request: policies and the migration read the same request, and the view extracts the
        // message text at most once.
        var headers = ctx.Request.Headers;
        var view = route is null ? null : new RequestView(request, body.WrittenMemory, key.Name, name => headers.TryGetValue(name, out var v) ? v.ToString() : null);
        var plan = route is not null ? route.Policy.Decide(view!) : new RoutePlan([deployment!], "deployment named directly");

        MigrationDecision? migration = null;
        if (route is not null && _migrations.HasMigrations)
        {
            migration = _migrations.Apply(route, view!, plan);
            if (migration is not null)
            {
                plan = migration.Plan;
                if (migration.Shadow is not null)
                {
                    x.Facts.Content = new System.Text.StringBuilder();
                }
            }
        }

        x.Record.Decision = plan.Reason;
        await ServeWithFallbackAsync(x, body, plan).ConfigureAwait(false);
        if (migration?.Shadow is not null)
        {
            EnqueueShadow(x, body, migration);
        }
    }

    /// <summary>After the client's answer is complete: hand it to the migration's shadow worker (never awaited).</summary>
    private void EnqueueShadow(Exchange x, PooledBufferWriter body, MigrationDecision migration)
    {
        if (!_migrations.States.TryGetValue(x.Route!.Name, out var state) || x.Http.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        var served = x.Deployment?.Name;
        var servedBy = served == state.Candidate ? "candidate" : "incumbent";
        var ok = x.Record.Status == 200;
        var shadow = migration.Shadow!;

        // When the planned side failed and the other side served through fallback, the other side's outcome is
        // known already: record the failure rather than calling the same deployment twice.
        var fellBack = shadow.Name == served;
        _migrations.TryEnqueueShadow(new ShadowJob
        {
            Route = x.Route.Name,
            RequestId = x.RequestId,
            Body = body.WrittenSpan.ToArray(),
            Operation = x.Operation,
            Shadow = fellBack ? null : shadow,
            OtherError = fellBack ? x.Record.Attempts.FirstOrDefault(a => a.Error is not null).Error ?? "failed" : null,
            ServedBy = servedBy,
            ServedAnswer = ok ? x.Facts.Content?.ToString() : null,
            ServedError = ok ? null : x.Record.Error ?? "failed",
            ServedLatencyMs = Stopwatch.GetElapsedTime(0, x.UpstreamWaitTicks).TotalMilliseconds,
            ServedUsage = x.Facts.Usage,
            Stage = migration.Stage,
        });
    }

    /// <summary>
    /// Tries the plan's deployments in order until one serves. A deployment counts as failed only before its
    /// response starts (connect error, timeout, 5xx, 429 beyond the retry budget, open breaker, context too long);
    /// after the first byte reached the client the attempt is committed.
    /// </summary>
    private async Task ServeWithFallbackAsync(Exchange x, PooledBufferWriter body, RoutePlan plan)
    {
        AttemptFailure? last = null;
        var chain = plan.Chain;
        for (var i = 0; i < chain.Count; i++)
        {
            var deployment = chain[i];
            if (last is { ContextLength: true } && !HasLargerWindow(deployment, last.Deployment))
            {
                continue;
            }

            var failure = await TryDeploymentAsync(x, body, deployment).ConfigureAwait(false);
            if (failure is null)
            {
                return;
            }

            last = failure;
            if (!failure.Retryable)
            {
                break;
            }

            var next = NextCandidate(chain, i, failure);
            if (next is not null)
            {
                x.Record.Decision += $"; fallback: {deployment.Name} {failure.Short} -> {next.Name}";
                Log.FallingBack(_logger, x.RequestId, deployment.Name, failure.Short, next.Name);
            }
        }

        await WriteFailureAsync(x, last!).ConfigureAwait(false);
    }

    private static DeploymentRuntime? NextCandidate(IReadOnlyList<DeploymentRuntime> chain, int index, AttemptFailure failure)
    {
        for (var j = index + 1; j < chain.Count; j++)
        {
            if (!failure.ContextLength || HasLargerWindow(chain[j], failure.Deployment))
            {
                return chain[j];
            }
        }

        return null;
    }

    private static bool HasLargerWindow(DeploymentRuntime candidate, DeploymentRuntime failed) =>
        candidate.Config.ContextWindow is not int w || failed.Config.ContextWindow is not int f || w > f;

    /// <summary>Why one deployment could not serve; null from <see cref="TryDeploymentAsync"/> means it served.</summary>
    private sealed record AttemptFailure(DeploymentRuntime Deployment, bool Retryable, int Status, string Code, string Message)
    {
        public byte[]? Body { get; init; }

        public TimeSpan? RetryAfter { get; init; }

        public bool ContextLength { get; init; }

        public string Short => Code switch
        {
            "upstream_error" or "upstream_rejected" => Status.ToString(CultureInfo.InvariantCulture),
            _ => Code,
        };
    }

    /// <summary>Tries one deployment, through its retries and circuit breaker. Writes the response when it serves.</summary>
    private async Task<AttemptFailure?> TryDeploymentAsync(Exchange x, PooledBufferWriter clientBody, DeploymentRuntime deployment)
    {
        var ctx = x.Http;
        var request = x.Request!;
        var provider = deployment.Provider;
        x.Deployment = deployment;
        x.Record.Deployment = deployment.Name;

        // An open breaker turns half-open only when Polly is asked to execute, so only isolation is checked here;
        // an open breaker answers below with BrokenCircuitException and no upstream call.
        if (deployment.Resilience.BreakerState == Polly.CircuitBreaker.CircuitState.Isolated)
        {
            x.Attempt(deployment.Name, 0, "breaker_open", Stopwatch.GetTimestamp());
            return new AttemptFailure(deployment, true, 503, "breaker_open", $"Deployment '{deployment.Name}' is unavailable (circuit open).");
        }

        using var upstreamBody = new PooledBufferWriter(clientBody.WrittenCount + 64);
        request.WriteUpstreamBody(clientBody.WrittenSpan, deployment.UpstreamModelJson, forceUsage: true, upstreamBody);

        var waitStart = Stopwatch.GetTimestamp();
        var lease = provider.Limiter.AttemptAcquire(1);
        if (!lease.IsAcquired)
        {
            // Only when the provider is at its limit: wait in its bounded queue.
            lease.Dispose();
            lease = await provider.Limiter.AcquireAsync(1, ctx.RequestAborted).ConfigureAwait(false);
        }

        using var leaseScope = lease;
        x.UpstreamWaitTicks += Stopwatch.GetTimestamp() - waitStart;
        if (!lease.IsAcquired)
        {
            x.Attempt(deployment.Name, 0, "capacity", waitStart);
            return new AttemptFailure(deployment, true, 503, "deployment_at_capacity", $"Deployment '{deployment.Name}' is at its concurrency limit; retry shortly.")
            {
                RetryAfter = TimeSpan.FromSeconds(1),
            };
        }

        UpstreamCall call;
        try
        {
            call = await deployment.Resilience.Pipeline.ExecuteAsync(
                static (state, _) => state.Handler.SendOnceAsync(state.X, state.Deployment, state.Body),
                (Handler: this, X: x, Deployment: deployment, Body: upstreamBody.WrittenMemory),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Polly.CircuitBreaker.BrokenCircuitException)
        {
            x.Attempt(deployment.Name, 0, "breaker_open", waitStart);
            return new AttemptFailure(deployment, true, 503, "breaker_open", $"Deployment '{deployment.Name}' is unavailable (circuit open).");
        }

        using (call)
        {
            switch (call.Error)
            {
                case "timeout":
                    Log.UpstreamTimeout(_logger, x.RequestId, deployment.Name, "first byte");
                    return new AttemptFailure(deployment, true, 504, "upstream_timeout", $"Deployment '{deployment.Name}' did not respond within {provider.FirstByteTimeout.TotalSeconds:0.###} s.");
                case not null:
                    return new AttemptFailure(deployment, true, 502, "upstream_unreachable", $"Deployment '{deployment.Name}' could not be reached ({call.Error}).");
            }

            var upstream = call.Response!;
            var status = call.Status;
            var token = call.Cancellation.Token;

            // From here the total timeout bounds the rest of the exchange.
            var remaining = provider.TotalTimeout - Stopwatch.GetElapsedTime(x.FirstUpstreamSend);
            call.Cancellation.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1));

            if (status is < 200 or >= 300)
            {
                return await ClassifyErrorAsync(x, deployment, upstream, status, token).ConfigureAwait(false);
            }

            try
            {
                if (request.Stream && IsEventStream(upstream))
                {
                    await RelayStreamAsync(x, upstream, provider.IdleTimeout, token).ConfigureAwait(false);
                }
                else if (Escalation.AppliesTo(x.Route, x.Operation, request))
                {
                    await RelayWithEscalationAsync(x, clientBody, upstream, token).ConfigureAwait(false);
                }
                else
                {
                    await RelayJsonAsync(x, upstream, token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (!ctx.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException or HttpRequestException)
            {
                // The upstream broke or timed out after the response started: committed, so no fallback.
                var timedOut = e is OperationCanceledException;
                var idle = e is IdleTimeoutException;
                var code = idle ? "upstream_idle_timeout" : timedOut ? "upstream_timeout" : "stream_interrupted";
                Log.StreamInterrupted(_logger, x.RequestId, deployment.Name, code);
                x.Fail(timedOut ? 504 : 502, code);
                if (x.IsEventStream)
                {
                    await WriteStreamErrorAsync(x, idle
                        ? $"Deployment '{deployment.Name}' sent nothing for {provider.IdleTimeout.TotalSeconds:0.###} s mid-stream."
                        : timedOut
                            ? $"Deployment '{deployment.Name}' exceeded its total timeout mid-stream."
                            : $"The stream from deployment '{deployment.Name}' was interrupted.", code).ConfigureAwait(false);
                }
                else
                {
                    ctx.Abort();
                }
            }

            return null;
        }
    }

    /// <summary>One HTTP try; Polly calls it once per retry. Upstream failures come back as values.</summary>
    private async ValueTask<UpstreamCall> SendOnceAsync(Exchange x, DeploymentRuntime deployment, ReadOnlyMemory<byte> body)
    {
        var ctx = x.Http;
        var provider = deployment.Provider;
        var endpoint = provider.PickEndpoint(_time.GetUtcNow());
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        cts.CancelAfter(provider.FirstByteTimeout);
        var call = new UpstreamCall(endpoint, cts);
        using var message = new HttpRequestMessage(HttpMethod.Post, provider.UriFor(x.Operation, deployment.UpstreamModel, endpoint))
        {
            Version = HttpVersion.Version11,
            Content = new ReadOnlyMemoryContent(body),
        };
        message.Content.Headers.ContentType = JsonMediaType;
        provider.ApplyHeaders(message);
        message.Headers.TryAddWithoutValidation("x-request-id", x.RequestId);
        message.Headers.TryAddWithoutValidation("Accept", x.Request!.Stream ? "text/event-stream" : "application/json");

        var sendStart = Stopwatch.GetTimestamp();
        if (x.FirstUpstreamSend == 0)
        {
            x.FirstUpstreamSend = sendStart;
        }

        try
        {
            call.Response = await provider.Invoker.SendAsync(message, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            x.UpstreamWaitTicks += Stopwatch.GetTimestamp() - sendStart;
            x.Attempt(deployment.Name, 0, "client_closed", sendStart);
            call.Dispose();
            throw;
        }
        catch (OperationCanceledException)
        {
            call.Error = "timeout";
        }
        catch (HttpRequestException e)
        {
            call.Error = e.HttpRequestError switch
            {
                HttpRequestError.ConnectionError => "connect",
                HttpRequestError.NameResolutionError => "dns",
                HttpRequestError.SecureConnectionError => "tls",
                _ => "connection_reset",
            };
            if (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError && provider.Endpoints.Count > 1)
            {
                // Passive health: a replica that refuses connections sits out for a few seconds.
                endpoint.Eject(_time.GetUtcNow().AddSeconds(5));
            }

            Log.UpstreamFailed(_logger, x.RequestId, deployment.Name, call.Error);
        }

        x.UpstreamWaitTicks += Stopwatch.GetTimestamp() - sendStart;
        var status = call.Status;
        x.Attempt(deployment.Name, status, call.Error ?? (status is >= 200 and < 300 ? null : "http_" + status.ToString(CultureInfo.InvariantCulture)), sendStart);
        return call;
    }

    /// <summary>Header values must be visible ASCII: anything else (e.g. from a judge's reason) becomes '?'.</summary>
    private static string AsciiHeader(string value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return string.Create(value.Length, value, static (span, v) =>
                {
                    for (var i = 0; i < v.Length; i++)
                    {
                        span[i] = v[i] is < ' ' or > '~' ? '?' : v[i];
                    }
                });
            }
        }

        return value;
    }

    private static bool IsEventStream(HttpResponseMessage upstream) =>
        upstream.Content.Headers.ContentType?.MediaType is "text/event-stream";

    private void StartResponse(Exchange x, HttpResponseMessage upstream, int status)
    {
        var response = x.Http.Response;
        response.StatusCode = status;
        var headers = response.Headers;
        if (x.Route is not null)
        {
            headers["x-tandem-route"] = x.Route.Name;
        }

        headers["x-tandem-deployment"] = x.Deployment!.Name;
        headers["x-tandem-decision"] = AsciiHeader(x.Record.Decision);
        foreach (var (name, values) in upstream.Headers.NonValidated)
        {
            if (name.StartsWith("x-ratelimit-", StringComparison.OrdinalIgnoreCase)
                || name.Equals("openai-processing-ms", StringComparison.OrdinalIgnoreCase)
                || name.Equals("retry-after", StringComparison.OrdinalIgnoreCase))
            {
                headers[name] = values.ToString();
            }
            else if (name.Equals("x-request-id", StringComparison.OrdinalIgnoreCase))
            {
                headers["x-upstream-request-id"] = values.ToString();
            }
        }

        WriteOverheadHeader(x, headers);
    }

    /// <summary>Time in Tandem so far: everything since arrival except waiting on the upstream.</summary>
    private static void WriteOverheadHeader(Exchange x, IHeaderDictionary headers)
    {
        var overhead = Stopwatch.GetElapsedTime(x.Start).TotalMilliseconds - Stopwatch.GetElapsedTime(0, x.UpstreamWaitTicks).TotalMilliseconds;
        headers["x-tandem-overhead-ms"] = Math.Max(0, overhead).ToString("0.000", CultureInfo.InvariantCulture);
    }

    private async Task RelayJsonAsync(Exchange x, HttpResponseMessage upstream, CancellationToken cancellationToken)
    {
        var response = x.Http.Response;
        StartResponse(x, upstream, (int)upstream.StatusCode);
        response.ContentType = upstream.Content.Headers.ContentType?.ToString() ?? "application/json";
        if (upstream.Content.Headers.ContentLength is long length)
        {
            response.ContentLength = length;
        }

        var stream = await upstream.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var capture = new PooledBufferWriter(4096);
            var capturing = true;
            var pipe = response.BodyWriter;
            while (true)
            {
                var memory = pipe.GetMemory(16 * 1024);
                var readStart = Stopwatch.GetTimestamp();
                var n = await stream.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                x.UpstreamWaitTicks += Stopwatch.GetTimestamp() - readStart;
                if (n == 0)
                {
                    break;
                }

                if (capturing)
                {
                    if (capture.WrittenCount + n <= MaxCapturedResponseBytes)
                    {
                        capture.Write(memory.Span[..n]);
                    }
                    else
                    {
                        capturing = false;
                    }
                }

                pipe.Advance(n);
                await FlushAsync(x, pipe, cancellationToken).ConfigureAwait(false);
            }

            if (capturing)
            {
                x.Facts.Read(capture.WrittenSpan);
            }
        }

        x.Succeed(200);
    }

    /// <summary>
    /// Routes with <c>escalation</c>: the cheap answer is held (not relayed) while a judge scores it; below the
    /// threshold the stronger deployment answers instead. Both outcomes are recorded in the decision.
    /// </summary>
    private async Task RelayWithEscalationAsync(Exchange x, PooledBufferWriter clientBody, HttpResponseMessage upstream, CancellationToken cancellationToken)
    {
        var readStart = Stopwatch.GetTimestamp();
        var cheap = await upstream.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        x.UpstreamWaitTicks += Stopwatch.GetTimestamp() - readStart;

        var judgeStart = Stopwatch.GetTimestamp();
        var result = await Escalation.EvaluateAsync(x.Snapshot, x.Route!, clientBody.WrittenMemory, cheap, x.Http.RequestAborted).ConfigureAwait(false);
        x.UpstreamWaitTicks += Stopwatch.GetTimestamp() - judgeStart;
        var response = x.Http.Response;
        if (result.Escalated && result.Body is { } strong && result.Deployment is { } to && x.Snapshot.Deployments.TryGetValue(to, out var target))
        {
            x.Record.Decision += $"; escalated: {x.Deployment!.Name} {result.Reason} -> {to}";
            x.Record.Attempts.Add(new AttemptRecord(to, result.Status, null, Stopwatch.GetElapsedTime(judgeStart).TotalMilliseconds));
            x.Deployment = target;
            x.Record.Deployment = to;
            StartResponse(x, upstream, result.Status);
            response.Headers["x-tandem-escalation"] = "escalated";
            if (result.Facts is { } facts)
            {
                x.Facts.Usage = facts.Usage;
                x.Facts.Model = facts.Model;
                x.Facts.SystemFingerprint = facts.SystemFingerprint;
                x.Facts.FinishReason = facts.FinishReason;
            }

            await WriteBodyAsync(x, strong).ConfigureAwait(false);
        }
        else
        {
            x.Record.Decision += "; escalation kept: " + result.Reason;
            StartResponse(x, upstream, (int)upstream.StatusCode);
            response.Headers["x-tandem-escalation"] = "kept";
            x.Facts.Read(cheap);
            await WriteBodyAsync(x, cheap).ConfigureAwait(false);
        }

        x.Succeed(200);
    }

    private async Task RelayStreamAsync(Exchange x, HttpResponseMessage upstream, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        var ctx = x.Http;
        var response = ctx.Response;
        x.IsEventStream = true;
        StartResponse(x, upstream, 200);
        response.ContentType = upstream.Content.Headers.ContentType?.ToString() ?? "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var pipe = response.BodyWriter;
        await FlushAsync(x, pipe, cancellationToken).ConfigureAwait(false);

        var dropUsage = !x.Request!.ClientWantsUsage;
        var stream = await upstream.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var filled = 0;
        var passthrough = false;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await using (stream.ConfigureAwait(false))
            {
                while (true)
                {
                    if (filled == buffer.Length)
                    {
                        if (buffer.Length >= MaxSseEventBytes)
                        {
                            // An event larger than any real chunk: stop framing and relay the rest untouched.
                            Write(pipe, buffer.AsSpan(0, filled));
                            filled = 0;
                            passthrough = true;
                        }
                        else
                        {
                            var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                            buffer.AsSpan(0, filled).CopyTo(bigger);
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = bigger;
                        }
                    }

                    var readStart = Stopwatch.GetTimestamp();
                    idle.CancelAfter(idleTimeout);
                    int n;
                    try
                    {
                        n = await stream.ReadAsync(buffer.AsMemory(filled), idle.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                    {
                        throw new IdleTimeoutException();
                    }

                    x.UpstreamWaitTicks += Stopwatch.GetTimestamp() - readStart;
                    if (n == 0)
                    {
                        break;
                    }

                    if (passthrough)
                    {
                        Write(pipe, buffer.AsSpan(0, n));
                        await FlushAsync(x, pipe, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    filled += n;
                    var consumed = 0;
                    var wrote = false;
                    while (true)
                    {
                        var end = SseEvents.FindEventEnd(buffer.AsSpan(consumed, filled - consumed));
                        if (end < 0)
                        {
                            break;
                        }

                        var sseEvent = buffer.AsSpan(consumed, end);
                        consumed += end;
                        var disposition = SseEvents.Inspect(sseEvent, x.Facts);
                        if (disposition == SseDisposition.UsageOnly && dropUsage)
                        {
                            continue;
                        }

                        Write(pipe, sseEvent);
                        wrote = true;
                    }

                    if (consumed > 0)
                    {
                        buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                        filled -= consumed;
                    }

                    if (wrote)
                    {
                        if (x.Record.TtftMs is null)
                        {
                            x.Record.TtftMs = Stopwatch.GetElapsedTime(x.Start).TotalMilliseconds;
                        }

                        await FlushAsync(x, pipe, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            if (filled > 0)
            {
                // A trailing event without its blank line: relay what came.
                Write(pipe, buffer.AsSpan(0, filled));
                await FlushAsync(x, pipe, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (!x.Facts.SawDone && x.Facts.FinishReason is null && !x.Facts.IsError && !passthrough)
        {
            // The upstream closed cleanly but never finished: do not let that look like a complete answer.
            Log.StreamInterrupted(_logger, x.RequestId, x.Deployment!.Name, "ended without finish_reason or [DONE]");
            x.Fail(502, "stream_incomplete");
            await WriteStreamErrorAsync(x, $"The stream from deployment '{x.Deployment.Name}' ended before the answer was complete.", "stream_incomplete").ConfigureAwait(false);
            return;
        }

        x.Succeed(200);
    }

    private static void Write(PipeWriter pipe, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(pipe.GetSpan(bytes.Length));
        pipe.Advance(bytes.Length);
    }

    private static async ValueTask FlushAsync(Exchange x, PipeWriter pipe, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var result = await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
        x.ClientWaitTicks += Stopwatch.GetTimestamp() - start;
        if (result.IsCanceled || result.IsCompleted)
        {
            throw new OperationCanceledException("client went away");
        }
    }

    private async Task WriteStreamErrorAsync(Exchange x, string message, string code)
    {
        var pipe = x.Http.Response.BodyWriter;
        Write(pipe, "data: "u8);
        OpenAiError.Write(pipe, message, ErrorTypes.Upstream, null, code);
        Write(pipe, "\n\n"u8);
        try
        {
            await pipe.FlushAsync(x.Http.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        // Then end the response without its terminating chunk. Clients that read error events (the Python and JS
        // SDKs) raise on the event; clients that ignore them (the .NET SDK) see a truncated transfer and raise too.
        // Either way no client can mistake a broken answer for a complete one.
        x.Http.Abort();
    }

    /// <summary>Turns a non-2xx upstream answer into a failure to fall back from, or relays it when it is the client's own error.</summary>
    private async Task<AttemptFailure?> ClassifyErrorAsync(Exchange x, DeploymentRuntime deployment, HttpResponseMessage upstream, int status, CancellationToken cancellationToken)
    {
        byte[] body;
        try
        {
            body = await upstream.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException && !x.Http.RequestAborted.IsCancellationRequested)
        {
            body = [];
        }

        var upstreamMessage = OpenAiError.MessageOf(body);
        Log.UpstreamFailed(_logger, x.RequestId, deployment.Name, "HTTP " + status.ToString(CultureInfo.InvariantCulture));
        if (status == 429)
        {
            return new AttemptFailure(deployment, true, 429, "rate_limit_exceeded", $"Deployment '{deployment.Name}' is rate limited; retry later.")
            {
                Body = upstreamMessage is not null ? body : null,
                RetryAfter = upstream.Headers.RetryAfter?.Delta,
            };
        }

        if (status >= 500)
        {
            var detail = upstreamMessage is not null ? ": " + upstreamMessage : "";
            return new AttemptFailure(deployment, true, 502, "upstream_error", $"Deployment '{deployment.Name}' failed with HTTP {status}{detail}");
        }

        if (status is 401 or 403 or 404)
        {
            // Tandem's configuration problem, not the client's: never echo the upstream's message (an upstream
            // 401 can quote part of the credential). Another deployment may still serve.
            return new AttemptFailure(deployment, true, 502, "upstream_rejected", $"Deployment '{deployment.Name}' failed with HTTP {status}");
        }

        if (IsContextLengthError(status, body, upstreamMessage))
        {
            return new AttemptFailure(deployment, true, status, "context_length_exceeded", upstreamMessage ?? "The prompt is too long for the deployment's context window.")
            {
                Body = body.Length > 0 ? body : null,
                ContextLength = true,
            };
        }

        // Other 4xx (400, 413, 422…) are about the request itself: relay status and body as they are.
        x.Fail(status, "upstream_" + status.ToString(CultureInfo.InvariantCulture));
        StartResponse(x, upstream, status);
        await WriteBodyAsync(x, body.Length > 0 ? body : OpenAiError.Body($"Deployment '{deployment.Name}' refused the request (HTTP {status}).", ErrorTypes.InvalidRequest)).ConfigureAwait(false);
        return null;
    }

    private static bool IsContextLengthError(int status, byte[] body, string? message) =>
        status is 400 or 413 or 422
        && (body.AsSpan().IndexOf("context_length_exceeded"u8) >= 0
            || (message is not null && (message.Contains("maximum context length", StringComparison.OrdinalIgnoreCase)
                || message.Contains("context window", StringComparison.OrdinalIgnoreCase)
                || message.Contains("too many tokens", StringComparison.OrdinalIgnoreCase))));

    /// <summary>Answers the client when no deployment of the plan could serve.</summary>
    private static async Task WriteFailureAsync(Exchange x, AttemptFailure failure)
    {
        x.Deployment = failure.Deployment;
        x.Fail(failure.Status, failure.Code);
        if (failure.RetryAfter is { } retryAfter)
        {
            x.Http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (failure.Body is { } body)
        {
            PrepareHeaders(x, failure.Status);
            await WriteBodyAsync(x, body).ConfigureAwait(false);
            return;
        }

        var type = failure.Status switch
        {
            429 => ErrorTypes.RateLimit,
            503 => ErrorTypes.Upstream,
            504 => ErrorTypes.Timeout,
            400 => ErrorTypes.InvalidRequest,
            _ => ErrorTypes.Upstream,
        };
        await WriteErrorAsync(x, failure.Status, failure.Message, type, null, failure.Code).ConfigureAwait(false);
    }

    private static async Task WriteBodyAsync(Exchange x, byte[] body)
    {
        var response = x.Http.Response;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, x.Http.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteErrorAsync(Exchange x, int status, string message, string type, string? param, string? code)
    {
        PrepareHeaders(x, status);
        await WriteBodyAsync(x, OpenAiError.Body(message, type, param, code)).ConfigureAwait(false);
    }

    /// <summary>Status and Tandem's own headers for a response Tandem writes itself.</summary>
    private static void PrepareHeaders(Exchange x, int status)
    {
        var response = x.Http.Response;
        response.StatusCode = status;
        if (x.Route is not null)
        {
            response.Headers["x-tandem-route"] = x.Route.Name;
        }

        if (x.Deployment is not null)
        {
            response.Headers["x-tandem-deployment"] = x.Deployment.Name;
        }

        if (x.Record.Decision.Length > 0)
        {
            response.Headers["x-tandem-decision"] = AsciiHeader(x.Record.Decision);
        }

        WriteOverheadHeader(x, response.Headers);
    }

    /// <summary>The key a client presented: <c>Authorization: Bearer KEY</c>, or Azure-style <c>api-key: KEY</c>.</summary>
    internal static ReadOnlySpan<char> PresentedKey(HttpRequest request)
    {
        var auth = request.Headers.Authorization;
        if (auth.Count == 1)
        {
            var value = auth[0].AsSpan().Trim();
            if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return value[7..].Trim();
            }
        }

        var apiKey = request.Headers["api-key"];
        return apiKey.Count == 1 ? apiKey[0].AsSpan().Trim() : default;
    }

    private static async Task<bool> ReadBodyAsync(HttpContext ctx, PooledBufferWriter body, long limit)
    {
        if (ctx.Request.ContentLength > limit)
        {
            return false;
        }

        var reader = ctx.Request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(ctx.RequestAborted).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (body.WrittenCount + buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.End);
                return false;
            }

            foreach (var segment in buffer)
            {
                body.Write(segment.Span);
            }

            reader.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                return true;
            }
        }
    }

    private void Complete(Exchange x)
    {
        if (x.Unrecorded)
        {
            return;
        }

        var record = x.Record;
        var total = Stopwatch.GetElapsedTime(x.Start);
        record.TotalMs = total.TotalMilliseconds;
        var upstreamMs = Stopwatch.GetElapsedTime(0, x.UpstreamWaitTicks).TotalMilliseconds;
        record.UpstreamMs = upstreamMs;
        record.OverheadMs = Math.Max(0, record.TotalMs - upstreamMs - Stopwatch.GetElapsedTime(0, x.ClientWaitTicks).TotalMilliseconds);
        var facts = x.Facts;
        record.FinishReason = facts.FinishReason;
        record.UpstreamModel = facts.Model;
        record.SystemFingerprint = facts.SystemFingerprint;
        if (facts.Usage is { } usage)
        {
            record.PromptTokens = usage.PromptTokens;
            record.CompletionTokens = usage.CompletionTokens;
            record.CachedTokens = usage.CachedTokens;
            record.ReasoningTokens = usage.ReasoningTokens;
        }

        // Estimated tokens (when the upstream reported none), cost, captured content, hashed end user.
        _finisher.Finish(record, facts, x.Request, x.Route, x.Deployment, x.Snapshot);

        var route = record.Route ?? "";
        var deployment = record.Deployment ?? "";
        if (GatewayMetrics.Requests.Enabled)
        {
            GatewayMetrics.Requests.Add(1, new TagList { { "route", route }, { "deployment", deployment }, { "status", record.Status } });
        }

        if (record.Error is not null && GatewayMetrics.Errors.Enabled)
        {
            GatewayMetrics.Errors.Add(1, new TagList { { "route", route }, { "deployment", deployment }, { "error", record.Error } });
        }

        if (GatewayMetrics.Duration.Enabled)
        {
            GatewayMetrics.Duration.Record(total.TotalSeconds, new TagList { { "route", route }, { "deployment", deployment } });
        }

        if (GatewayMetrics.Overhead.Enabled)
        {
            GatewayMetrics.Overhead.Record(record.OverheadMs / 1000.0, new TagList { { "route", route }, { "deployment", deployment } });
        }

        if (record.TtftMs is double ttft && GatewayMetrics.TimeToFirstChunk.Enabled)
        {
            GatewayMetrics.TimeToFirstChunk.Record(ttft / 1000.0, new TagList { { "route", route }, { "deployment", deployment } });
        }

        if (GatewayMetrics.Tokens.Enabled && (record.PromptTokens > 0 || record.CompletionTokens > 0))
        {
            GatewayMetrics.Tokens.Add(record.PromptTokens, new TagList { { "route", route }, { "deployment", deployment }, { "gen_ai.token.type", "input" } });
            GatewayMetrics.Tokens.Add(record.CompletionTokens, new TagList { { "route", route }, { "deployment", deployment }, { "gen_ai.token.type", "output" } });
        }

        if (record.Cost > 0 && GatewayMetrics.Cost.Enabled)
        {
            GatewayMetrics.Cost.Add((double)record.Cost, new TagList { { "route", route }, { "deployment", deployment } });
        }

        _records.TryWrite(record);
    }

    /// <summary>The upstream went silent between two chunks for longer than its idle timeout.</summary>
    private sealed class IdleTimeoutException : OperationCanceledException
    {
    }

    /// <summary>Per-request state of one exchange.</summary>
    private sealed class Exchange
    {
        public Exchange(HttpContext http, ApiOperation operation, GatewaySnapshot snapshot, long start, DateTimeOffset now)
        {
            Http = http;
            Operation = operation;
            Snapshot = snapshot;
            Start = start;
            RequestId = RequestIds.From(http.Request.Headers["x-request-id"]);
            Record = new RequestRecord
            {
                Id = RequestId,
                Time = now,
                Operation = operation switch
                {
                    ApiOperation.ChatCompletions => "chat",
                    ApiOperation.Completions => "completions",
                    _ => "embeddings",
                },
            };
            Facts = new ResponseFacts { ContentWanted = () => RecordFinisher.WantsContent(Route, Deployment) };
        }

        public HttpContext Http { get; }

        public ApiOperation Operation { get; }

        public GatewaySnapshot Snapshot { get; }

        public long Start { get; }

        public string RequestId { get; }

        public RequestRecord Record { get; }

        public ResponseFacts Facts { get; }

        public ApiRequest? Request { get; set; }

        public RouteRuntime? Route { get; set; }

        public DeploymentRuntime? Deployment { get; set; }

        public long UpstreamWaitTicks { get; set; }

        public long ClientWaitTicks { get; set; }

        public long FirstUpstreamSend { get; set; }

        public bool IsEventStream { get; set; }

        /// <summary>Requests refused before a key was known are counted in metrics only by the access log.</summary>
        public bool Unrecorded { get; set; }

        public void Attempt(string deployment, int status, string? error, long startedAt) =>
            Record.Attempts.Add(new AttemptRecord(deployment, status, error, Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds));

        public void Fail(int status, string error)
        {
            Record.Status = status;
            Record.Error = error;
        }

        public void Succeed(int status)
        {
            Record.Status = status;
            Record.Error = null;
        }
    }
}
