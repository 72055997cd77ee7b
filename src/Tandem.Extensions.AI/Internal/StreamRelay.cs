using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Extensions.AI.Internal;

/// <summary>
/// Hands a streamed answer to the caller update by update. The deployment was chosen before its first update (until
/// then the fallback chain may still move on); after it the answer is committed, so a stream that breaks, goes silent
/// beyond the provider's idle timeout or exceeds its total timeout ends with a <see cref="TandemChatException"/>, never
/// as if it were complete. A stream over HTTP is framed and read event by event as the gateway's relay reads it (the
/// same <see cref="SseEvents"/> inspection for the record); one from an in-process client is read as it comes.
/// </summary>
internal sealed class StreamRelay : IAsyncDisposable
{
    private const int MaxEventBytes = 4 * 1024 * 1024;
    private readonly ChatExchange _x;
    private readonly ChatResponseReader _reader = new();
    private DeploymentAnswer? _answer;
    private bool _firstGiven;
    private bool _ended;
    private long _returnedAt;
    private byte[]? _buffer;
    private int _start;
    private int _filled;
    private ReadOnlyMemory<byte> _pending;

    public StreamRelay(ChatExchange exchange) => _x = exchange;

    /// <summary>Decides and serves the plan up to the chosen deployment's first update; throws <see cref="TandemChatException"/> when none serves.</summary>
    public async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _x.Decide();
        _answer = await _x.ServeAsync(cancellationToken).ConfigureAwait(false);
        _x.Served(_answer);
        if (_answer.Failure is { } failure)
        {
            _x.Fail(failure.Status, failure.Code);
            throw TandemChatException.From(failure, _answer.Exception);
        }

        _pending = _answer.HttpStream?.Buffered ?? default;
    }

    /// <summary>The next update; null at the end of the answer.</summary>
    public async ValueTask<ChatResponseUpdate?> NextAsync(CancellationToken cancellationToken)
    {
        if (_ended)
        {
            return null;
        }

        if (_returnedAt != 0)
        {
            _x.ClientWaitTicks += Stopwatch.GetTimestamp() - _returnedAt;
        }

        var update = _answer!.ClientStream is { } stream
            ? await NextFromClientAsync(stream, cancellationToken).ConfigureAwait(false)
            : await NextOverHttpAsync(_answer.HttpStream, cancellationToken).ConfigureAwait(false);
        if (update is null)
        {
            _ended = true;
            _x.Succeed();
            return null;
        }

        _x.Record.TtftMs ??= Stopwatch.GetElapsedTime(_x.Start).TotalMilliseconds;
        _returnedAt = Stopwatch.GetTimestamp();
        return update;
    }

    private async ValueTask<ChatResponseUpdate?> NextFromClientAsync(StartedStream stream, CancellationToken cancellationToken)
    {
        ChatResponseUpdate? update;
        if (!_firstGiven)
        {
            _firstGiven = true;
            update = stream.First;
        }
        else
        {
            stream.Idle.CancelAfter(_answer!.Deployment.Provider.IdleTimeout);
            var readStart = Stopwatch.GetTimestamp();
            try
            {
                update = await stream.Enumerator.MoveNextAsync().ConfigureAwait(false) ? stream.Enumerator.Current : null;
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw Interrupted(_answer.Cancellation.IsCancellationRequested ? InterruptionKind.Timeout : InterruptionKind.Idle, e);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw Interrupted(InterruptionKind.Broken, e);
            }
            finally
            {
                _x.Trace.WaitTicks += Stopwatch.GetTimestamp() - readStart;
            }
        }

        if (update is not null)
        {
            _x.Observe(update);
        }

        return update;
    }

    private async ValueTask<ChatResponseUpdate?> NextOverHttpAsync(UpstreamResult? result, CancellationToken cancellationToken)
    {
        if (result is null)
        {
            // The upstream answered a stream request with a whole answer: handed over as its updates, at once.
            return NextOfWhole();
        }

        _buffer ??= ArrayPool<byte>.Shared.Rent(16 * 1024);
        while (true)
        {
            var end = SseEvents.FindEventEnd(_buffer.AsSpan(_start, _filled - _start));
            if (end >= 0)
            {
                var sseEvent = _buffer.AsSpan(_start, end);
                _start += end;
                var wasError = _x.Facts.IsError;
                if (SseEvents.Inspect(sseEvent, _x.Facts) == SseDisposition.Done)
                {
                    return _reader.Rest();
                }

                var data = SseEvents.DataOf(sseEvent);
                if (!wasError && _x.Facts.IsError)
                {
                    var message = OpenAiError.MessageOf(data) ?? "an error event";
                    throw Interrupted(InterruptionKind.Broken, null, $"The stream from deployment '{_answer!.Deployment.Name}' ended with an error: {_x.Runtime.Snapshot.Secrets.Scrub(message)}");
                }

                if (!data.IsEmpty && _reader.ReadChunk(data) is { } update)
                {
                    return update;
                }

                continue;
            }

            if (!await FillAsync(result, cancellationToken).ConfigureAwait(false))
            {
                if (!_x.Facts.SawDone && _x.Facts.FinishReason is null && !_x.Facts.IsError)
                {
                    // The upstream closed cleanly but never finished: do not let that look like a complete answer.
                    _x.Fail(502, "stream_incomplete");
                    throw new TandemChatException(502, "stream_incomplete", $"The stream from deployment '{_answer!.Deployment.Name}' ended before the answer was complete.")
                    {
                        Deployment = _answer.Deployment.Name,
                    };
                }

                return _reader.Rest();
            }
        }
    }

    /// <summary>Reads more of the stream into the buffer (the bytes read before commit first); false at its end.</summary>
    private async ValueTask<bool> FillAsync(UpstreamResult result, CancellationToken cancellationToken)
    {
        var buffer = _buffer!;
        if (_start > 0)
        {
            buffer.AsSpan(_start, _filled - _start).CopyTo(buffer);
            _filled -= _start;
            _start = 0;
        }

        if (_filled == buffer.Length)
        {
            if (buffer.Length >= MaxEventBytes)
            {
                throw Interrupted(InterruptionKind.Broken, null, $"The stream from deployment '{_answer!.Deployment.Name}' sent an event larger than {MaxEventBytes} bytes.");
            }

            var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
            buffer.AsSpan(0, _filled).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(buffer);
            _buffer = buffer = bigger;
        }

        if (!_pending.IsEmpty)
        {
            var n = Math.Min(_pending.Length, buffer.Length - _filled);
            _pending.Span[..n].CopyTo(buffer.AsSpan(_filled));
            _pending = _pending[n..];
            _filled += n;
            return true;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var readStart = Stopwatch.GetTimestamp();
        try
        {
            var read = await result.ReadAsync(buffer.AsMemory(_filled)).ConfigureAwait(false);
            _filled += read;
            return read > 0;
        }
        catch (UpstreamInterruptedException e)
        {
            throw Interrupted(e.Kind, e);
        }
        finally
        {
            _x.Trace.WaitTicks += Stopwatch.GetTimestamp() - readStart;
        }
    }

    private IEnumerator<ChatResponseUpdate>? _whole;

    private ChatResponseUpdate? NextOfWhole()
    {
        if (_whole is null)
        {
            var response = _answer!.Response;
            if (response is null)
            {
                return null;
            }

            _whole = response.ToChatResponseUpdates().AsEnumerable().GetEnumerator();
        }

        return _whole.MoveNext() ? _whole.Current : null;
    }

    private TandemChatException Interrupted(InterruptionKind kind, Exception? inner, string? message = null)
    {
        var deployment = _answer!.Deployment;
        var (status, code) = kind switch
        {
            InterruptionKind.Idle => (504, "upstream_idle_timeout"),
            InterruptionKind.Timeout => (504, "upstream_timeout"),
            _ => (502, "stream_interrupted"),
        };
        _x.Fail(status, code);
        message ??= kind switch
        {
            InterruptionKind.Idle => $"Deployment '{deployment.Name}' sent nothing for {deployment.Provider.IdleTimeout.TotalSeconds:0.###} s mid-stream.",
            InterruptionKind.Timeout => $"Deployment '{deployment.Name}' exceeded its total timeout mid-stream.",
            _ => $"The stream from deployment '{deployment.Name}' was interrupted.",
        };
        Log.StreamInterrupted(_x.Runtime.Logger, _x.RequestId, deployment.Name, code);
        return new TandemChatException(status, code, message, inner) { Deployment = deployment.Name };
    }

    /// <summary>Ends the call: the stream and its deployment's slot are released, and the record completed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_answer?.ClientStream is { } stream)
        {
            await ChatExchange.DisposeQuietlyAsync(stream.Enumerator).ConfigureAwait(false);
        }

        _answer?.Dispose();
        _whole?.Dispose();
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        if (_x.Record.Status == 0)
        {
            // The caller stopped reading. After the answer's end was seen it was served, whatever the caller did next.
            if (_x.Facts.SawDone || _x.Facts.FinishReason is not null)
            {
                _x.Succeed();
            }
            else
            {
                _x.Fail(499, "client_closed");
            }
        }

        _x.Complete();
        _x.Dispose();
    }
}
