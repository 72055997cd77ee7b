using System.Buffers;
using Tandem.Providers;

namespace Tandem.Upstream;

/// <summary>
/// One try of one deployment, up to the first bytes of its answer. Upstream failures are values, never exceptions,
/// so that Polly's strategies and the fallback chain decide from results without exceptions on the hot path.
/// </summary>
internal sealed class UpstreamCall : IDisposable
{
    private UpstreamEndpoint? _endpoint;
    private byte[]? _buffer;

    public UpstreamCall(UpstreamEndpoint endpoint, CancellationTokenSource cancellation)
    {
        _endpoint = endpoint;
        endpoint.Enter();
        Cancellation = cancellation;
    }

    /// <summary>The replica called.</summary>
    public UpstreamEndpoint Endpoint => _endpoint!;

    /// <summary>Bounds the rest of the exchange (timeouts; linked to the caller's token).</summary>
    public CancellationTokenSource Cancellation { get; }

    /// <summary>The response, when headers arrived (and, for an error status, after its body was read).</summary>
    public HttpResponseMessage? Response { get; set; }

    /// <summary>HTTP status, 0 when no response arrived.</summary>
    public int Status { get; set; }

    /// <summary>Why no usable answer came: <c>connect</c>, <c>dns</c>, <c>tls</c>, <c>connection_reset</c>, <c>timeout</c>, <c>interrupted</c>, <c>credentials</c>; null otherwise.</summary>
    public string? Error { get; set; }

    /// <summary>Why the adapter could not build the request, when <see cref="Error"/> is <c>credentials</c>.</summary>
    public string? Detail { get; set; }

    /// <summary>What an error status's body said.</summary>
    public ProviderError ProviderError { get; set; }

    /// <summary>An error status's body, as received (bounded).</summary>
    public byte[]? ErrorBody { get; set; }

    /// <summary>The upstream's Retry-After hint.</summary>
    public TimeSpan? RetryAfter { get; set; }

    /// <summary>A 2xx answer in OpenAI's format.</summary>
    public OpenAiContent Content { get; set; }

    /// <summary>The start of a 2xx body read before committing to the deployment.</summary>
    public ReadOnlyMemory<byte> Buffered => _buffer is null ? default : _buffer.AsMemory(0, BufferedLength);

    /// <summary>Bytes in <see cref="Buffered"/>.</summary>
    public int BufferedLength { get; set; }

    /// <summary>Whether <see cref="Buffered"/> holds the whole body.</summary>
    public bool Complete { get; set; }

    /// <summary>Whether this try produced an answer to relay.</summary>
    public bool Succeeded => Error is null && Status is >= 200 and < 300;

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

    /// <inheritdoc />
    public void Dispose()
    {
        Response?.Dispose();
        Cancellation.Dispose();
        Interlocked.Exchange(ref _endpoint, null)?.Leave();
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
