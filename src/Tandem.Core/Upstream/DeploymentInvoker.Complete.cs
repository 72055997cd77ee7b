using System.Buffers;
using System.Diagnostics;
using System.Text;
using Tandem.Wire;

namespace Tandem.Upstream;

public sealed partial class DeploymentInvoker
{
    /// <summary>Sends a chat completion request body (any <c>model</c>: it is replaced) and reads the whole answer.</summary>
    /// <exception cref="ArgumentException">The body is not a valid chat completion request.</exception>
    public Task<UpstreamReply> CompleteChatAsync(ReadOnlyMemory<byte> body, UpstreamPurpose purpose, CancellationToken cancellationToken = default) =>
        CompleteAsync(UpstreamRequest.Parse(ApiOperation.ChatCompletions, body, purpose), cancellationToken);

    /// <summary>
    /// Sends <paramref name="request"/> and reads the whole answer (streamed or not) into an <see cref="UpstreamReply"/>:
    /// for callers off the client's path (shadow, judge, escalation, eval) that need the answer, not its bytes on a wire.
    /// </summary>
    public async Task<UpstreamReply> CompleteAsync(UpstreamRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var start = Stopwatch.GetTimestamp();
        using var result = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (result.Failure is { } failure)
        {
            return new UpstreamReply { Failure = failure, Status = failure.UpstreamStatus, Elapsed = Stopwatch.GetElapsedTime(start), RetryAfter = failure.RetryAfter };
        }

        var facts = new ResponseFacts { Content = new StringBuilder() };
        var body = new ArrayBufferWriter<byte>(Math.Max(result.Buffered.Length, 1024));
        body.Write(result.Buffered.Span);
        try
        {
            while (!result.IsComplete)
            {
                var n = await result.ReadAsync(body.GetMemory(16 * 1024)).ConfigureAwait(false);
                body.Advance(n);
                if (body.WrittenCount > MaxCompleteBytes)
                {
                    throw new UpstreamInterruptedException(InterruptionKind.Broken);
                }
            }
        }
        catch (UpstreamInterruptedException e)
        {
            var timeout = e.Kind != InterruptionKind.Broken;
            return new UpstreamReply
            {
                Failure = new UpstreamFailure(_deployment.Name, timeout ? FailureKind.Timeout : FailureKind.Connect, timeout ? 504 : 502,
                    timeout ? "upstream_timeout" : "upstream_interrupted", $"Deployment '{_deployment.Name}' broke off its answer ({e.Kind.ToString().ToLowerInvariant()})."),
                Status = result.Status,
                Elapsed = Stopwatch.GetElapsedTime(start),
            };
        }

        var bytes = body.WrittenSpan.ToArray();
        if (result.IsEventStream)
        {
            ReadEvents(bytes, facts);
        }
        else
        {
            facts.Read(bytes);
        }

        return new UpstreamReply { Status = result.Status, Body = bytes, Facts = facts, Elapsed = Stopwatch.GetElapsedTime(start) };
    }

    private static void ReadEvents(ReadOnlySpan<byte> stream, ResponseFacts facts)
    {
        while (!stream.IsEmpty)
        {
            var end = SseEvents.FindEventEnd(stream);
            if (end < 0)
            {
                SseEvents.Inspect(stream, facts);
                return;
            }

            SseEvents.Inspect(stream[..end], facts);
            stream = stream[end..];
        }
    }
}

/// <summary>The whole answer of one call made by <see cref="DeploymentInvoker.CompleteAsync"/>.</summary>
public sealed class UpstreamReply
{
    /// <summary>The upstream's HTTP status (0 when no response arrived).</summary>
    public int Status { get; init; }

    /// <summary>Why the deployment did not answer; null when it did.</summary>
    public UpstreamFailure? Failure { get; init; }

    /// <summary>The answer in OpenAI's format (a JSON response, or the stream's events).</summary>
    public byte[] Body { get; init; } = [];

    /// <summary>Usage, model, finish reason and the first choice's text.</summary>
    public ResponseFacts Facts { get; init; } = new();

    /// <summary>Time from sending to the end of the answer (limiter wait included).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>The upstream's Retry-After hint, when it gave one.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>A short description of the failure, for reports; null for an answer.</summary>
    public string? Error => Failure is { } f ? f.Code + ": " + f.Message : Facts.IsError ? "error object in the answer" : null;

    /// <summary>Whether the deployment answered and the answer is not an error object.</summary>
    public bool IsSuccess => Failure is null && !Facts.IsError;

    /// <summary>The first choice's message text (empty when there was none).</summary>
    public string Content => Facts.Content?.ToString() ?? "";

    /// <summary>
    /// Whether trying again later may help (after the deployment's own retries): capacity, an open breaker, connection
    /// failures, timeouts, rate limits and server errors; never a request the upstream refused as such.
    /// </summary>
    public bool IsTransient => Failure?.Kind is FailureKind.Capacity or FailureKind.BreakerOpen or FailureKind.Connect
        or FailureKind.Timeout or FailureKind.RateLimited or FailureKind.ServerError;
}
