using System.Buffers;
using Tandem.Providers;

namespace Tandem.Upstream;

/// <summary>
/// One HTTP try of one deployment, up to the first bytes of its answer. Upstream failures are values, never exceptions,
/// so that Polly's strategies and the fallback chain decide from results without exceptions on the hot path.
/// </summary>
internal sealed class UpstreamCall : CallOutcome
{
    private readonly TryDeadline _deadline;
    private UpstreamEndpoint? _endpoint;
    private byte[]? _buffer;
    private int _released;

    /// <summary>A try of <paramref name="endpoint"/> bounded by the caller's token and a deadline reused from try to try (<see cref="TryDeadline"/>).</summary>
    public UpstreamCall(UpstreamEndpoint endpoint, CancellationToken caller)
        : this(endpoint, TryDeadline.Rent(caller))
    {
    }

    private UpstreamCall(UpstreamEndpoint endpoint, TryDeadline deadline)
        : base(deadline.Source)
    {
        _deadline = deadline;
        _endpoint = endpoint;
        endpoint.Enter();
    }

    /// <summary>Sets the try's deadline (first byte, then total), replacing the one before.</summary>
    public void CancelAfter(TimeSpan delay) => _deadline.CancelAfter(delay);

    /// <summary>The replica called.</summary>
    public UpstreamEndpoint Endpoint => _endpoint!;

    /// <summary>The response, when headers arrived (and, for an error status, after its body was read).</summary>
    public HttpResponseMessage? Response { get; set; }

    /// <summary>A 2xx answer in OpenAI's format.</summary>
    public OpenAiContent Content { get; set; }

    /// <summary>The start of a 2xx body read before committing to the deployment.</summary>
    public ReadOnlyMemory<byte> Buffered => _buffer is null ? default : _buffer.AsMemory(0, BufferedLength);

    /// <summary>Bytes in <see cref="Buffered"/>.</summary>
    public int BufferedLength { get; set; }

    /// <summary>Whether <see cref="Buffered"/> holds the whole body.</summary>
    public bool Complete { get; set; }

    /// <summary>Rents (or grows) the prefetch buffer so that at least <paramref name="free"/> bytes are free.</summary>
    public Memory<byte> Grow(int free)
    {
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(free, 4096));
        }
        else if (_buffer.Length - BufferedLength < free)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, BufferedLength + free));
            _buffer.AsSpan(0, BufferedLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        return _buffer.AsMemory(BufferedLength);
    }

    /// <summary>The response's rate-limit headers, for a relayed error.</summary>
    internal override IReadOnlyList<KeyValuePair<string, string>> HeadersToRelay => Response is { } response ? RelayedHeaders.From(response.Headers) : [];

    private protected override void ReleaseCancellation()
    {
        // Once: a deadline released twice could end a later try that reuses it.
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _deadline.Release();
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        Response?.Dispose();
        base.Dispose(disposing);
        Interlocked.Exchange(ref _endpoint, null)?.Leave();
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
