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
using Tandem.Records;
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
    private readonly RecordFinisher _finisher;

    public ProxyHandler(GatewayState state, IRecordSink records, ILogger<ProxyHandler> logger, TimeProvider time, RecordFinisher finisher)
    {
        _state = state;
        _records = records;
        _logger = logger;
        _time = time;
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
        x.Record.Decision = route is null ? "deployment named directly" : "route " + route.Name + " → " + deployment!.Name;
        await AttemptAsync(x, body, deployment!).ConfigureAwait(false);
    }

    /// <summary>One try of one deployment. Writes the client's response in every case.</summary>
    private async Task AttemptAsync(Exchange x, PooledBufferWriter clientBody, DeploymentRuntime deployment)
    {
        var ctx = x.Http;
        var request = x.Request!;
        var provider = deployment.Provider;
        x.Deployment = deployment;
        x.Record.Deployment = deployment.Name;

        using var upstreamBody = new PooledBufferWriter(clientBody.WrittenCount + 64);
        request.WriteUpstreamBody(clientBody.WrittenSpan, deployment.UpstreamModel, forceUsage: true, upstreamBody);

        var attemptStart = Stopwatch.GetTimestamp();
        using var lease = await provider.Limiter.AcquireAsync(1, ctx.RequestAborted).ConfigureAwait(false);
        x.UpstreamWaitTicks += Stopwatch.GetTimestamp() - attemptStart;
        if (!lease.IsAcquired)
        {
            x.Attempt(deployment.Name, 0, "capacity", attemptStart);
            x.Fail(503, "deployment_at_capacity");
            ctx.Response.Headers.RetryAfter = "1";
            await WriteErrorAsync(x, 503, $"Deployment '{deployment.Name}' is at its concurrency limit; retry shortly.", ErrorTypes.RateLimit, null, "deployment_at_capacity").ConfigureAwait(false);
            return;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        cts.CancelAfter(provider.FirstByteTimeout);
        using var message = new HttpRequestMessage(HttpMethod.Post, provider.UriFor(x.Operation, deployment.UpstreamModel))
        {
            Version = HttpVersion.Version11,
            Content = new ReadOnlyMemoryContent(upstreamBody.WrittenMemory),
        };
        message.Content.Headers.ContentType = JsonMediaType;
        provider.ApplyHeaders(message);
        message.Headers.TryAddWithoutValidation("x-request-id", x.RequestId);
        message.Headers.TryAddWithoutValidation("Accept", request.Stream ? "text/event-stream" : "application/json");

        var sendStart = Stopwatch.GetTimestamp();
        HttpResponseMessage upstream;
        try
        {
            upstream = await provider.Invoker.SendAsync(message, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            x.UpstreamWaitTicks += Stopwatch.GetTimestamp() - sendStart;
            x.Attempt(deployment.Name, 0, "client_closed", sendStart);
            throw;
        }
        catch (OperationCanceledException)
        {
            x.UpstreamWaitTicks += Stopwatch.GetTimestamp() - sendStart;
            x.Attempt(deployment.Name, 0, "timeout", sendStart);
            Log.UpstreamTimeout(_logger, x.RequestId, deployment.Name, "first byte");
            x.Fail(504, "upstream_timeout");
            await WriteErrorAsync(x, 504, $"Deployment '{deployment.Name}' did not respond within {provider.FirstByteTimeout.TotalSeconds:0.###} s.", ErrorTypes.Timeout, null, "upstream_timeout").ConfigureAwait(false);
            return;
        }
        catch (HttpRequestException e)
        {
            x.UpstreamWaitTicks += Stopwatch.GetTimestamp() - sendStart;
            x.Attempt(deployment.Name, 0, "connect", sendStart);
            Log.UpstreamFailed(_logger, x.RequestId, deployment.Name, e.HttpRequestError.ToString());
            x.Fail(502, "upstream_unreachable");
            await WriteErrorAsync(x, 502, $"Deployment '{deployment.Name}' could not be reached ({e.HttpRequestError}).", ErrorTypes.Upstream, null, "upstream_unreachable").ConfigureAwait(false);
            return;
        }

        using (upstream)
        {
            var headersAt = Stopwatch.GetTimestamp();
            x.UpstreamWaitTicks += headersAt - sendStart;
            x.FirstUpstreamSend = x.FirstUpstreamSend == 0 ? sendStart : x.FirstUpstreamSend;
            var status = (int)upstream.StatusCode;
            x.Attempt(deployment.Name, status, status is >= 200 and < 300 ? null : "http_" + status.ToString(CultureInfo.InvariantCulture), sendStart);

            // From here the total timeout bounds the rest of the exchange.
            var remaining = provider.TotalTimeout - Stopwatch.GetElapsedTime(sendStart);
            cts.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1));

            if (status is < 200 or >= 300)
            {
                await RelayErrorAsync(x, upstream, status, cts.Token).ConfigureAwait(false);
                return;
            }

            try
            {
                if (request.Stream && IsEventStream(upstream))
                {
                    await RelayStreamAsync(x, upstream, cts.Token).ConfigureAwait(false);
                }
                else
                {
                    await RelayJsonAsync(x, upstream, cts.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (!ctx.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException or HttpRequestException)
            {
                // The upstream broke or timed out after the response started.
                var timedOut = e is OperationCanceledException;
                Log.StreamInterrupted(_logger, x.RequestId, deployment.Name, timedOut ? "total timeout" : e.GetType().Name);
                x.Fail(timedOut ? 504 : 502, timedOut ? "upstream_timeout" : "stream_interrupted");
                if (x.IsEventStream)
                {
                    await WriteStreamErrorAsync(x, timedOut
                        ? $"Deployment '{deployment.Name}' exceeded its total timeout mid-stream."
                        : $"The stream from deployment '{deployment.Name}' was interrupted.", timedOut ? "upstream_timeout" : "stream_interrupted").ConfigureAwait(false);
                }
                else
                {
                    ctx.Abort();
                }
            }
        }
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

        // Time in Tandem so far: everything since arrival except waiting on the upstream.
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

    private async Task RelayStreamAsync(Exchange x, HttpResponseMessage upstream, CancellationToken cancellationToken)
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
                    var n = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
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
    }

    private async Task RelayErrorAsync(Exchange x, HttpResponseMessage upstream, int status, CancellationToken cancellationToken)
    {
        var deployment = x.Deployment!;
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
            x.Fail(429, "rate_limited");
            StartResponse(x, upstream, 429);
            if (upstream.Headers.RetryAfter is { } retryAfter)
            {
                x.Http.Response.Headers.RetryAfter = retryAfter.Delta is { } delta
                    ? ((int)Math.Ceiling(delta.TotalSeconds)).ToString(CultureInfo.InvariantCulture)
                    : retryAfter.ToString();
            }

            await WriteBodyAsync(x, upstreamMessage is not null ? body : OpenAiError.Body(
                $"Deployment '{deployment.Name}' is rate limited; retry later.", ErrorTypes.RateLimit, null, "rate_limit_exceeded")).ConfigureAwait(false);
            return;
        }

        if (status is 401 or 403 or 404 || status >= 500)
        {
            // 401/403/404 from the upstream are Tandem's configuration problem, not the client's: never echo them
            // (an upstream 401 message can contain part of the credential).
            x.Fail(502, status >= 500 ? "upstream_error" : "upstream_rejected");
            var detail = status >= 500 && upstreamMessage is not null ? ": " + upstreamMessage : "";
            await WriteErrorAsync(x, 502, $"Deployment '{deployment.Name}' failed with HTTP {status}{detail}", ErrorTypes.Upstream, null,
                status >= 500 ? "upstream_error" : "upstream_rejected").ConfigureAwait(false);
            return;
        }

        // Other 4xx (400, 413, 422…) are about the request itself: relay status and body as they are.
        x.Fail(status, "upstream_" + status.ToString(CultureInfo.InvariantCulture));
        StartResponse(x, upstream, status);
        await WriteBodyAsync(x, body.Length > 0 ? body : OpenAiError.Body($"Deployment '{deployment.Name}' refused the request (HTTP {status}).", ErrorTypes.InvalidRequest)).ConfigureAwait(false);
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

        var overhead = Stopwatch.GetElapsedTime(x.Start).TotalMilliseconds - Stopwatch.GetElapsedTime(0, x.UpstreamWaitTicks).TotalMilliseconds;
        response.Headers["x-tandem-overhead-ms"] = Math.Max(0, overhead).ToString("0.000", CultureInfo.InvariantCulture);
        await WriteBodyAsync(x, OpenAiError.Body(message, type, param, code)).ConfigureAwait(false);
    }

    private static ReadOnlySpan<char> PresentedKey(HttpRequest request)
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

    /// <summary>Per-request state of one exchange.</summary>
    private sealed class Exchange
    {
        public Exchange(HttpContext http, ApiOperation operation, GatewaySnapshot snapshot, long start, DateTimeOffset now)
        {
            Http = http;
            Operation = operation;
            Snapshot = snapshot;
            Start = start;
            RequestId = RequestIdOf(http.Request.Headers["x-request-id"]);
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

        private static string RequestIdOf(StringValues header)
        {
            if (header.Count == 1 && header[0] is { Length: > 0 and <= 128 } id && IsPrintableAscii(id))
            {
                return id;
            }

            return "req_" + Guid.CreateVersion7().ToString("N");
        }

        private static bool IsPrintableAscii(string s)
        {
            foreach (var c in s)
            {
                if (c is < '!' or > '~')
                {
                    return false;
                }
            }

            return true;
        }
    }
}
