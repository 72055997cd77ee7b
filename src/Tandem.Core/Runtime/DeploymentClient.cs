using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Tandem.Buffers;
using Tandem.Wire;

namespace Tandem.Runtime;

/// <summary>Why an upstream call produced no HTTP response.</summary>
public enum UpstreamFailure
{
    /// <summary>A response arrived (look at its status).</summary>
    None,

    /// <summary>The provider's concurrency limiter refused the call (queue full).</summary>
    Capacity,

    /// <summary>The connection could not be made or broke.</summary>
    Connect,

    /// <summary>The first-byte or total timeout elapsed.</summary>
    Timeout,
}

/// <summary>The whole answer of one non-streaming upstream call, buffered.</summary>
public sealed class UpstreamReply
{
    /// <summary>HTTP status; 0 when <see cref="Failure"/> is not <see cref="UpstreamFailure.None"/>.</summary>
    public int Status { get; init; }

    /// <summary>Why no response arrived, if so.</summary>
    public UpstreamFailure Failure { get; init; }

    /// <summary>The response body as received.</summary>
    public byte[] Body { get; init; } = [];

    /// <summary>Usage, model, finish reason and the first choice's text.</summary>
    public ResponseFacts Facts { get; init; } = new();

    /// <summary>Time from sending to the end of the body (limiter wait excluded).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>The upstream's <c>Retry-After</c>, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>A short description of the failure, for reports.</summary>
    public string? Error { get; init; }

    /// <summary>Whether the status is 2xx and the body is not an error object.</summary>
    public bool IsSuccess => Failure == UpstreamFailure.None && Status is >= 200 and < 300 && !Facts.IsError;

    /// <summary>The first choice's message text (empty when there was none).</summary>
    public string Content => Facts.Content?.ToString() ?? "";

    /// <summary>Whether trying again may help: rate limits, overload, server errors, timeouts, broken connections.</summary>
    public bool IsTransient => Failure != UpstreamFailure.None || Status is 408 or 409 or 429 || Status >= 500;
}

/// <summary>
/// Sends one non-streaming request to a deployment the way the gateway does: the provider's pooled invoker, its
/// URL for the operation, its credential and extra headers, its concurrency limiter and timeouts, with only
/// <c>model</c> rewritten to the deployment's upstream id. Used off the request path (eval, judge, escalation).
/// </summary>
public static class DeploymentClient
{
    private const int MaxResponseBytes = 16 * 1024 * 1024;
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    /// <summary>Sends a chat completion request body (any <c>model</c>; it is replaced) and buffers the answer.</summary>
    /// <exception cref="ArgumentException">The body is not a valid chat completion request.</exception>
    public static async Task<UpstreamReply> SendChatAsync(DeploymentRuntime deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var request = ApiRequest.Parse(body.Span, ApiOperation.ChatCompletions, out var problem)
            ?? throw new ArgumentException("not a chat completion request: " + problem.Message, nameof(body));
        var provider = deployment.Provider;
        using var upstreamBody = new PooledBufferWriter(body.Length + 64);
        request.WriteUpstreamBody(body.Span, deployment.UpstreamModel, forceUsage: false, upstreamBody);

        using var lease = await provider.Limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            return new UpstreamReply { Failure = UpstreamFailure.Capacity, Error = $"provider '{provider.Name}' is at its concurrency limit" };
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(provider.FirstByteTimeout);
        using var message = new HttpRequestMessage(HttpMethod.Post, provider.UriFor(ApiOperation.ChatCompletions, deployment.UpstreamModel))
        {
            Version = HttpVersion.Version11,
            Content = new ReadOnlyMemoryContent(upstreamBody.WrittenMemory),
        };
        message.Content.Headers.ContentType = JsonMediaType;
        provider.ApplyHeaders(message);
        message.Headers.TryAddWithoutValidation("Accept", "application/json");

        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await provider.Invoker.SendAsync(message, cts.Token).ConfigureAwait(false);
            var remaining = provider.TotalTimeout - Stopwatch.GetElapsedTime(start);
            cts.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1));
            var bytes = await ReadBoundedAsync(response.Content, cts.Token).ConfigureAwait(false);
            var facts = new ResponseFacts { Content = new StringBuilder() };
            facts.Read(bytes);
            var status = (int)response.StatusCode;
            return new UpstreamReply
            {
                Status = status,
                Body = bytes,
                Facts = facts,
                Elapsed = Stopwatch.GetElapsedTime(start),
                RetryAfter = RetryAfterOf(response),
                Error = status is >= 200 and < 300 && !facts.IsError ? null : "HTTP " + status.ToString(CultureInfo.InvariantCulture) + ": " + Excerpt(bytes),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new UpstreamReply { Failure = UpstreamFailure.Timeout, Elapsed = Stopwatch.GetElapsedTime(start), Error = $"deployment '{deployment.Name}' timed out" };
        }
        catch (HttpRequestException e)
        {
            return new UpstreamReply { Failure = UpstreamFailure.Connect, Elapsed = Stopwatch.GetElapsedTime(start), Error = $"deployment '{deployment.Name}': {e.HttpRequestError}" };
        }
        catch (IOException e)
        {
            return new UpstreamReply { Failure = UpstreamFailure.Connect, Elapsed = Stopwatch.GetElapsedTime(start), Error = $"deployment '{deployment.Name}': {e.Message}" };
        }
    }

    /// <summary>Reads <c>Retry-After</c> as seconds or an HTTP date (negative values become zero).</summary>
    public static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var retry = response.Headers.RetryAfter;
        if (retry?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retry?.Date is { } date)
        {
            var d = date - DateTimeOffset.UtcNow;
            return d < TimeSpan.Zero ? TimeSpan.Zero : d;
        }

        return null;
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            while (true)
            {
                var read = await stream.ReadAsync(buffer.GetMemory(16 * 1024), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer.WrittenSpan.ToArray();
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > MaxResponseBytes)
                {
                    throw new IOException($"response larger than {MaxResponseBytes} bytes");
                }
            }
        }
    }

    private static string Excerpt(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 300));
        return text.ReplaceLineEndings(" ");
    }
}
