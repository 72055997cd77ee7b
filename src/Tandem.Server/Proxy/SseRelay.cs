using System.Buffers;
using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Tandem.Server.Telemetry;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Server.Proxy;

/// <summary>
/// Relays a streamed answer event by event: each complete SSE event is inspected (usage, model, finish reason, errors)
/// and forwarded as its bytes, flushed as it arrives. The usage-only chunk Tandem asked for is withheld when the client
/// did not ask. A stream that breaks or goes silent after it started ends with an OpenAI error event, never with
/// <c>[DONE]</c>, so no client can mistake a broken answer for a complete one.
/// </summary>
internal static class SseRelay
{
    private const int MaxEventBytes = 4 * 1024 * 1024;

    public static async Task RelayAsync(Exchange x, UpstreamResult result, ILogger logger)
    {
        var ctx = x.Http;
        var response = ctx.Response;
        var cancellationToken = ctx.RequestAborted;
        x.IsEventStream = true;
        ProxyResponses.Start(x, result);
        response.ContentType = result.ContentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var pipe = response.BodyWriter;
        var dropUsage = !x.Request!.ClientWantsUsage;
        var secrets = x.Snapshot.Secrets;
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var filled = 0;
        var passthrough = false;
        var pending = result.Buffered;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length >= MaxEventBytes)
                    {
                        // An event larger than any real chunk: stop framing and relay the rest untouched.
                        ProxyResponses.Write(pipe, buffer.AsSpan(0, filled));
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

                int n;
                if (!pending.IsEmpty)
                {
                    n = Math.Min(pending.Length, buffer.Length - filled);
                    pending.Span[..n].CopyTo(buffer.AsSpan(filled));
                    pending = pending[n..];
                }
                else
                {
                    var readStart = Stopwatch.GetTimestamp();
                    n = await result.ReadAsync(buffer.AsMemory(filled)).ConfigureAwait(false);
                    x.Trace.WaitTicks += Stopwatch.GetTimestamp() - readStart;
                    if (n == 0)
                    {
                        break;
                    }
                }

                if (passthrough)
                {
                    ProxyResponses.Write(pipe, buffer.AsSpan(filled, n));
                    await ProxyResponses.FlushAsync(x, pipe, cancellationToken).ConfigureAwait(false);
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
                    var wasError = x.Facts.IsError;
                    var disposition = SseEvents.Inspect(sseEvent, x.Facts);
                    if (disposition == SseDisposition.UsageOnly && dropUsage)
                    {
                        continue;
                    }

                    if (!wasError && x.Facts.IsError && !secrets.IsEmpty && secrets.Contains(sseEvent))
                    {
                        // An upstream error event that quotes a credential: relay it without the credential.
                        ProxyResponses.Write(pipe, secrets.Replace(sseEvent));
                    }
                    else
                    {
                        ProxyResponses.Write(pipe, sseEvent);
                    }

                    wrote = true;
                }

                if (consumed > 0)
                {
                    buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                    filled -= consumed;
                }

                if (wrote && pending.IsEmpty)
                {
                    x.Record.TtftMs ??= Stopwatch.GetElapsedTime(x.Start).TotalMilliseconds;
                    if (x.Facts.SawDone && !x.ResponseComplete)
                    {
                        // [DONE] is on its way: a client that leaves once it has it was served.
                        x.Succeed(200);
                        x.ResponseComplete = true;
                    }

                    await ProxyResponses.FlushAsync(x, pipe, cancellationToken).ConfigureAwait(false);
                }
            }

            if (filled > 0)
            {
                // A trailing event without its blank line: relay what came.
                ProxyResponses.Write(pipe, buffer.AsSpan(0, filled));
            }
        }
        catch (UpstreamInterruptedException e)
        {
            RecordInterruption(x, e);
            Log.StreamInterrupted(logger, x.RequestId, x.Deployment!.Name, x.Record.Error!);
            await WriteStreamErrorAsync(x, e.Kind switch
            {
                InterruptionKind.Idle => $"Deployment '{x.Deployment.Name}' sent nothing for {x.Deployment.Provider.IdleTimeout.TotalSeconds:0.###} s mid-stream.",
                InterruptionKind.Timeout => $"Deployment '{x.Deployment.Name}' exceeded its total timeout mid-stream.",
                _ => $"The stream from deployment '{x.Deployment.Name}' was interrupted.",
            }, x.Record.Error!).ConfigureAwait(false);
            return;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (!x.Facts.SawDone && x.Facts.FinishReason is null && !x.Facts.IsError && !passthrough)
        {
            // The upstream closed cleanly but never finished: do not let that look like a complete answer.
            Log.StreamInterrupted(logger, x.RequestId, x.Deployment!.Name, "ended without finish_reason or [DONE]");
            x.Fail(502, "stream_incomplete");
            await WriteStreamErrorAsync(x, $"The stream from deployment '{x.Deployment.Name}' ended before the answer was complete.", "stream_incomplete").ConfigureAwait(false);
            return;
        }

        x.Succeed(200);
        x.ResponseComplete = true;
        await ProxyResponses.FlushAsync(x, pipe, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records why an answer that had started broke off: 504 for timeouts, 502 otherwise.</summary>
    public static void RecordInterruption(Exchange x, UpstreamInterruptedException e)
    {
        var (status, code) = e.Kind switch
        {
            InterruptionKind.Idle => (504, "upstream_idle_timeout"),
            InterruptionKind.Timeout => (504, "upstream_timeout"),
            _ => (502, "stream_interrupted"),
        };
        x.Fail(status, code);
    }

    /// <summary>
    /// Ends a stream that cannot finish: an OpenAI error event, flushed, then the end of the response — delivered, so
    /// SDKs that read error events (Python, JavaScript) raise it, and never <c>[DONE]</c> or a <c>finish_reason</c>, so
    /// clients that ignore error events (the .NET SDK) see an answer without an end rather than a complete one.
    /// </summary>
    private static async Task WriteStreamErrorAsync(Exchange x, string message, string code)
    {
        var response = x.Http.Response;
        var pipe = response.BodyWriter;
        ProxyResponses.Write(pipe, "data: "u8);
        OpenAiError.Write(pipe, message, ErrorTypes.Upstream, null, code);
        ProxyResponses.Write(pipe, "\n\n"u8);
        try
        {
            await pipe.FlushAsync(x.Http.RequestAborted).ConfigureAwait(false);
            await response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client is gone too: nothing left to deliver.
        }
    }
}
