using System.Diagnostics;
using System.Net.Http.Headers;
using System.Threading.RateLimiting;
using Tandem.Buffers;
using Tandem.Runtime;

namespace Tandem.Upstream;

/// <summary>
/// The outcome of sending a request to one deployment: either a failure (why it did not serve) or an answer that has
/// started, in OpenAI's format, to relay. An answer holds the provider's concurrency slot, the connection and the
/// request body until it is disposed: dispose it when the client's response is done.
/// </summary>
/// <remarks>
/// Before a result is returned the seam has read the start of the answer: a non-streamed body whole when it is at most
/// <see cref="DeploymentInvoker.MaxBufferedBytes"/> (so a failure mid-body can still fall back), a stream's first chunk.
/// <see cref="Buffered"/> holds those bytes; <see cref="ReadAsync"/> reads the rest, bounded by the provider's idle and
/// total timeouts and the caller's cancellation.
/// </remarks>
public sealed class UpstreamResult : IDeploymentOutcome
{
    private readonly UpstreamCall? _call;
    private readonly RateLimitLease? _lease;
    private readonly PooledBufferWriter? _requestBody;
    private readonly CancellationToken _caller;
    private readonly TimeSpan _idle;
    private CancellationTokenSource? _idleCts;
    private ITimer? _idleTimer;
    private long _lastRead;

    private UpstreamResult(DeploymentRuntime deployment, UpstreamFailure failure)
    {
        Deployment = deployment;
        Failure = failure;
    }

    internal UpstreamResult(DeploymentRuntime deployment, UpstreamCall call, RateLimitLease lease, PooledBufferWriter requestBody, CancellationToken caller)
    {
        Deployment = deployment;
        _call = call;
        _lease = lease;
        _requestBody = requestBody;
        _caller = caller;
        _idle = deployment.Provider.IdleTimeout;
    }

    internal static UpstreamResult Failed(DeploymentRuntime deployment, UpstreamFailure failure) => new(deployment, failure);

    /// <summary>The deployment that answered (or failed).</summary>
    public DeploymentRuntime Deployment { get; }

    /// <summary>Why the deployment did not serve; null for an answer.</summary>
    public UpstreamFailure? Failure { get; }

    /// <summary>Whether the deployment answered (2xx).</summary>
    public bool IsSuccess => Failure is null;

    /// <summary>The upstream's HTTP status (2xx for an answer).</summary>
    public int Status => _call?.Status ?? 0;

    /// <summary>The upstream's response headers (rate-limit hints, request id), when an answer came.</summary>
    public HttpResponseHeaders? Headers => _call?.Response?.Headers;

    /// <summary>Whether the answer is a server-sent event stream.</summary>
    public bool IsEventStream => _call?.Content.IsEventStream ?? false;

    /// <summary>The content type to give the client.</summary>
    public string ContentType => _call?.Content.ContentType ?? "application/json";

    /// <summary>The start of the body, read before the answer was committed to.</summary>
    public ReadOnlyMemory<byte> Buffered => _call?.Buffered ?? default;

    /// <summary>Whether <see cref="Buffered"/> is the whole body.</summary>
    public bool IsComplete => _call?.Complete ?? true;

    /// <summary>
    /// Reads more of the body after <see cref="Buffered"/>; 0 at its end. Throws <see cref="UpstreamInterruptedException"/>
    /// when the upstream breaks, goes silent beyond its idle timeout or exceeds its total timeout, and
    /// <see cref="OperationCanceledException"/> when the caller's token is cancelled.
    /// </summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer)
    {
        var call = _call ?? throw new InvalidOperationException("no answer to read");
        if (call.Complete)
        {
            return 0;
        }

        // The idle deadline runs from the start of the latest read. One timer per answer, moved on only when it fires
        // early: re-arming a timer on every read of a stream cost a timer-queue operation per event.
        Volatile.Write(ref _lastRead, Stopwatch.GetTimestamp());
        if (_idleCts is null)
        {
            _idleCts = CancellationTokenSource.CreateLinkedTokenSource(call.Cancellation.Token);
            if (_idle > TimeSpan.Zero)
            {
                _idleTimer = TimeProvider.System.CreateTimer(static s => ((UpstreamResult)s!).OnIdleTimer(), this, _idle, Timeout.InfiniteTimeSpan);
            }
        }

        try
        {
            var n = await call.Content.Body.ReadAsync(buffer, _idleCts.Token).ConfigureAwait(false);
            if (n == 0)
            {
                call.Complete = true;
            }

            return n;
        }
        catch (OperationCanceledException) when (!_caller.IsCancellationRequested)
        {
            throw new UpstreamInterruptedException(call.Cancellation.IsCancellationRequested ? InterruptionKind.Timeout : InterruptionKind.Idle);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && e is not UpstreamInterruptedException && !_caller.IsCancellationRequested)
        {
            throw new UpstreamInterruptedException(InterruptionKind.Broken, e);
        }
    }

    /// <summary>The idle timer fired: cancels the read when nothing was read for the idle timeout, else waits for the rest.</summary>
    private void OnIdleTimer()
    {
        var left = _idle - Stopwatch.GetElapsedTime(Volatile.Read(ref _lastRead));
        try
        {
            if (left <= TimeSpan.Zero)
            {
                _idleCts?.Cancel();
            }
            else
            {
                _idleTimer?.Change(left, Timeout.InfiniteTimeSpan);
            }
        }
        catch (ObjectDisposedException)
        {
            // The answer was disposed while the timer fired: nothing left to cancel.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _idleTimer?.Dispose();
        _idleCts?.Dispose();
        _call?.Dispose();
        _lease?.Dispose();
        _requestBody?.Dispose();
    }
}

/// <summary>How an answer broke off after it started.</summary>
public enum InterruptionKind
{
    /// <summary>The connection broke or the upstream sent something unreadable.</summary>
    Broken,

    /// <summary>No byte for longer than the provider's idle timeout.</summary>
    Idle,

    /// <summary>The provider's total timeout elapsed.</summary>
    Timeout,
}

/// <summary>An answer broke off after it started (see <see cref="UpstreamResult.ReadAsync"/>).</summary>
public sealed class UpstreamInterruptedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public UpstreamInterruptedException(InterruptionKind kind, Exception? inner = null)
        : base("upstream answer interrupted: " + kind.ToString().ToLowerInvariant(), inner)
    {
        Kind = kind;
    }

    /// <summary>Creates the exception (serialization-free default).</summary>
    public UpstreamInterruptedException()
        : this(InterruptionKind.Broken)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public UpstreamInterruptedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public UpstreamInterruptedException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>How the answer broke off.</summary>
    public InterruptionKind Kind { get; }
}
