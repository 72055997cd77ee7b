using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Tandem.Buffers;
using Tandem.Runtime;
using Tandem.Telemetry;

namespace Tandem.Upstream;

/// <summary>
/// The upstream seam: every call to a deployment — a client's request, a fallback attempt, a shadow call, a judge,
/// an escalation, an eval case — goes through the deployment's invoker. It owns the provider's concurrency limiter,
/// the deployment's retries and circuit breaker, replica choice and passive ejection, the timeouts, the one failure
/// classifier and the one Retry-After reader; the provider adapter only speaks the protocol.
/// </summary>
/// <remarks>
/// <code>
///   breaker isolated? ─► adapter writes body (once) ─► limiter slot (bounded queue) ─► Polly: retry ⊃ breaker ⊃ try
///   try: pick replica ─► adapter builds message ─► send (first-byte timeout, within total) ─► status?
///        2xx ─► read the start of the answer (whole body up to 1 MiB; a stream's first chunk)
///        else ─► read the error body (bounded) ─► adapter says what it means ─► Retry-After
///   classify ─► UpstreamResult: an answer to relay (holds slot, connection, body) or an UpstreamFailure
/// </code>
/// Failures are values, not exceptions; only the caller's cancellation throws.
/// </remarks>
public sealed partial class DeploymentInvoker
{
    /// <summary>A non-streamed answer up to this size is read whole before it is relayed, so a failure mid-body can fall back.</summary>
    public const int MaxBufferedBytes = 1024 * 1024;

    private const int MaxErrorBodyBytes = 64 * 1024;
    private const int MaxCompleteBytes = 16 * 1024 * 1024;
    private readonly DeploymentRuntime _deployment;
    private readonly SecretScrubber _secrets;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    internal DeploymentInvoker(DeploymentRuntime deployment, SecretScrubber secrets, TimeProvider time, ILogger logger)
    {
        _deployment = deployment;
        _secrets = secrets;
        _time = time;
        _logger = logger;
    }

    /// <summary>Sends <paramref name="request"/> and returns the answer's start or why the deployment failed.</summary>
    /// <param name="request">The request; its trace records every try.</param>
    /// <param name="cancellationToken">The caller's token (a client's abort): cancels the call and throws.</param>
    public async ValueTask<UpstreamResult> SendAsync(UpstreamRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var deployment = _deployment;
        var provider = deployment.Provider;
        var trace = request.Trace;
        if (!provider.Adapter.Supports(request.Operation))
        {
            return UpstreamResult.Failed(deployment, new UpstreamFailure(deployment.Name, FailureKind.Untranslatable, 400, "unsupported_operation",
                $"Deployment '{deployment.Name}' (provider type '{provider.Config.Type}') does not support this endpoint."));
        }

        if (Isolated(trace) is { } isolated)
        {
            return UpstreamResult.Failed(deployment, isolated);
        }

        var body = new PooledBufferWriter(request.Body.Length + 64);
        RateLimitLeaseHolder lease = default;
        try
        {
            if (!provider.Adapter.TryWriteBody(request, deployment, body, out var problem))
            {
                body.Dispose();
                return UpstreamResult.Failed(deployment, new UpstreamFailure(deployment.Name, FailureKind.Untranslatable, 400, problem.Code ?? "unsupported_field", problem.Message) { Param = problem.Param });
            }

            var waitStart = Stopwatch.GetTimestamp();
            lease = await RateLimitLeaseHolder.AcquireAsync(provider.Limiter, cancellationToken).ConfigureAwait(false);
            trace.WaitTicks += Stopwatch.GetTimestamp() - waitStart;
            if (!lease.Acquired)
            {
                lease.Dispose();
                body.Dispose();
                return UpstreamResult.Failed(deployment, AtCapacity(trace, waitStart));
            }

            UpstreamCall call;
            try
            {
                call = (UpstreamCall)await deployment.Resilience.Pipeline.ExecuteAsync(
                    static (state, token) => state.Self.TryOnceAsync(state.Request, state.Body, token),
                    (Self: this, Request: request, Body: body.WrittenMemory),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (BrokenCircuitException e)
            {
                trace.Attempt(deployment.Name, 0, "breaker_open", Stopwatch.GetTimestamp());
                lease.Dispose();
                body.Dispose();
                return UpstreamResult.Failed(deployment, BreakerOpen(e.RetryAfter));
            }

            if (FailureClassifier.Classify(call, deployment.Name, provider, _secrets) is { } failure)
            {
                UpstreamLog.UpstreamFailed(_logger, request.RequestId ?? "-", deployment.Name, failure.Short);
                call.Dispose();
                lease.Dispose();
                body.Dispose();
                return UpstreamResult.Failed(deployment, failure);
            }

            return new UpstreamResult(deployment, call, lease.Lease!, body, cancellationToken);
        }
        catch
        {
            lease.Dispose();
            body.Dispose();
            throw;
        }
    }

    /// <summary>
    /// An isolated breaker refuses before anything else is done. An open breaker turns half-open only when Polly is
    /// asked to execute, so only isolation is checked here; an open breaker answers with BrokenCircuitException and no call.
    /// </summary>
    private UpstreamFailure? Isolated(UpstreamTrace trace)
    {
        if (_deployment.Resilience.BreakerState != CircuitState.Isolated)
        {
            return null;
        }

        trace.Attempt(_deployment.Name, 0, "breaker_open", Stopwatch.GetTimestamp());
        return BreakerOpen(null);
    }

    private UpstreamFailure AtCapacity(UpstreamTrace trace, long waitStart)
    {
        trace.Attempt(_deployment.Name, 0, "capacity", waitStart);
        return new UpstreamFailure(_deployment.Name, FailureKind.Capacity, 503, "deployment_at_capacity",
            $"Deployment '{_deployment.Name}' is at its concurrency limit; retry shortly.")
        {
            RetryAfter = TimeSpan.FromSeconds(1),
        };
    }

    private UpstreamFailure BreakerOpen(TimeSpan? retryAfter) =>
        new(_deployment.Name, FailureKind.BreakerOpen, 503, "breaker_open", $"Deployment '{_deployment.Name}' is unavailable (circuit open).")
        {
            RetryAfter = retryAfter is { } r && r > TimeSpan.Zero ? r : _deployment.Resilience.BreakDuration,
        };

    /// <summary>One HTTP try; Polly calls it once per retry. Upstream failures come back as values.</summary>
    private async ValueTask<CallOutcome> TryOnceAsync(UpstreamRequest request, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var deployment = _deployment;
        var provider = deployment.Provider;
        var trace = request.Trace;
        var endpoint = provider.PickEndpoint(_time.GetUtcNow());
        var sendStart = Stopwatch.GetTimestamp();
        if (trace.FirstSend == 0)
        {
            trace.FirstSend = sendStart;
        }

        var call = new UpstreamCall(endpoint, cancellationToken);
        using var activity = StartAttemptActivity(request.Purpose);
        activity?.SetTag("server.address", endpoint.BaseUrl);

        try
        {
            var remaining = provider.TotalTimeout - Stopwatch.GetElapsedTime(trace.FirstSend);
            if (remaining < MinimumTryBudget)
            {
                call.Error = "timeout";
                return call;
            }

            call.CancelAfter(Min(provider.FirstByteTimeout, remaining));
            HttpRequestMessage message;
            try
            {
                message = await provider.Adapter.CreateMessageAsync(request, deployment, endpoint, body, call.Cancellation.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Nothing was sent: the adapter could not sign or authenticate the request (no credentials, a token
                // endpoint down). Not a broken connection, and not the upstream's fault.
                call.Error = "credentials";
                call.Detail = e.Message;
                trace.Attempt(deployment.Name, 0, call.Error, sendStart);
                return call;
            }

            using var messageScope = message;
            if (request.RequestId is { } id)
            {
                message.Headers.TryAddWithoutValidation("x-request-id", id);
            }

            if (message.Headers.Accept.Count == 0)
            {
                message.Headers.TryAddWithoutValidation("Accept", request.Stream ? "text/event-stream" : "application/json");
            }

            if (request.Purpose == UpstreamPurpose.Shadow)
            {
                message.Headers.TryAddWithoutValidation("x-tandem-shadow", "1");
            }

            var response = await provider.Invoker.SendAsync(message, call.Cancellation.Token).ConfigureAwait(false);
            call.Response = response;
            call.Status = (int)response.StatusCode;

            // From here the total timeout bounds the rest of the exchange.
            call.CancelAfter(Min(provider.TotalTimeout - Stopwatch.GetElapsedTime(trace.FirstSend), MaxTimer));
            if (call.Status is < 200 or >= 300)
            {
                call.ErrorBody = await ReadErrorBodyAsync(response.Content, call.Cancellation.Token).ConfigureAwait(false);
                call.ProviderError = provider.Adapter.ReadError(call.Status, call.ErrorBody);
                call.RetryAfter = RetryAfter.Read(response.Headers, _time.GetUtcNow()) ?? call.ProviderError.RetryAfter;
            }
            else
            {
                var stream = await response.Content.ReadAsStreamAsync(call.Cancellation.Token).ConfigureAwait(false);
                call.Content = provider.Adapter.ReadContent(response, stream, request, deployment);
                await PrefetchAsync(call, request.Stream && call.Content.IsEventStream, response.Content.Headers.ContentLength).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            trace.WaitTicks += Stopwatch.GetTimestamp() - sendStart;
            trace.Attempt(deployment.Name, call.Status, "client_closed", sendStart);
            call.Dispose();
            throw;
        }
        catch (OperationCanceledException)
        {
            call.Error = "timeout";
        }
        catch (HttpRequestException e) when (call.Response is null)
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
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            call.Error = call.Response is null ? "connection_reset" : "interrupted";
        }

        EndAttempt(trace, call, sendStart, activity);
        return call;
    }

    /// <summary>The span of one try, when tracing listens.</summary>
    private Activity? StartAttemptActivity(UpstreamPurpose purpose)
    {
        var activity = TandemTelemetry.Source.StartActivity("upstream attempt", ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag("tandem.deployment", _deployment.Name);
            activity.SetTag("tandem.provider", _deployment.Provider.Name);
            activity.SetTag("tandem.purpose", purpose.ToString().ToLowerInvariant());
        }

        return activity;
    }

    /// <summary>Notes a finished try in the trace (the record's attempts) and on its span.</summary>
    private void EndAttempt(UpstreamTrace trace, CallOutcome call, long sendStart, Activity? activity)
    {
        trace.WaitTicks += Stopwatch.GetTimestamp() - sendStart;
        var label = call.Error ?? (call.Status is >= 200 and < 300 ? null : "http_" + call.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        trace.Attempt(_deployment.Name, call.Status, label, sendStart);
        if (activity is not null)
        {
            activity.SetTag("http.response.status_code", call.Status);
            if (label is not null)
            {
                activity.SetTag("error.type", label);
                activity.SetStatus(ActivityStatusCode.Error, label);
            }
        }
    }

    /// <summary>Reads the start of a 2xx answer: a stream's first chunk, or a body whole up to <see cref="MaxBufferedBytes"/>.</summary>
    private async ValueTask PrefetchAsync(UpstreamCall call, bool eventStream, long? contentLength)
    {
        var token = call.Cancellation.Token;
        var stream = call.Content.Body;
        if (eventStream)
        {
            // The first chunk decides whether the stream started: until it arrives another deployment may still serve.
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
            idle.CancelAfter(_deployment.Provider.IdleTimeout);
            var n = await stream.ReadAsync(call.Grow(16 * 1024), idle.Token).ConfigureAwait(false);
            call.BufferedLength += n;
            call.Complete = n == 0;
            return;
        }

        var hint = contentLength is long l and > 0 and <= MaxBufferedBytes ? (int)l + 1 : 16 * 1024;
        while (call.BufferedLength < MaxBufferedBytes)
        {
            var n = await stream.ReadAsync(call.Grow(Math.Max(hint - call.BufferedLength, 4096)), token).ConfigureAwait(false);
            if (n == 0)
            {
                call.Complete = true;
                return;
            }

            call.BufferedLength += n;
        }
    }

    private static async Task<byte[]> ReadErrorBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[MaxErrorBodyBytes];
                var filled = 0;
                int n;
                while (filled < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    filled += n;
                }

                return buffer.AsSpan(0, filled).ToArray();
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // The status says enough; a body cut off mid-way is not worth failing over.
            return [];
        }
    }

    // CancellationTokenSource.CancelAfter accepts at most int.MaxValue milliseconds.
    private static readonly TimeSpan MaxTimer = TimeSpan.FromMilliseconds(int.MaxValue - 1);

    /// <summary>
    /// A try is not started with less than this left of the total timeout: it could not get an answer back, only add
    /// load upstream. It also absorbs the timers' millisecond granularity: the previous try's timeout can fire a
    /// fraction of a millisecond before the stopwatch says the total is spent.
    /// </summary>
    private static readonly TimeSpan MinimumTryBudget = TimeSpan.FromMilliseconds(10);

    private static TimeSpan Min(TimeSpan a, TimeSpan b)
    {
        var min = a < b ? a : b;
        min = min < MaxTimer ? min : MaxTimer;
        return min < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : min;
    }
}
