using Tandem.Wire;

namespace Tandem.Providers.Translation;

/// <summary>
/// Frames a provider's server-sent events as they arrive in arbitrary pieces (half lines, half events, LF or CRLF line
/// ends) and hands out the <c>data:</c> payload of each complete event. One per answer; not thread-safe.
/// </summary>
/// <remarks>
/// Bytes are kept only while an event is incomplete. A payload returned by <see cref="TryNext"/> points into the
/// reader's buffer and is valid until the next <see cref="Append"/>.
/// </remarks>
internal sealed class SseEventReader
{
    /// <summary>An event larger than this is not an event of any real provider: the stream is treated as broken.</summary>
    public const int MaxEventBytes = 4 * 1024 * 1024;

    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;

    /// <summary>Whether bytes of an incomplete event (anything but blank lines) are waiting.</summary>
    public bool HasPartialEvent => _buffer.AsSpan(_start, _end - _start).IndexOfAnyExcept("\r\n"u8) >= 0;

    /// <summary>Adds received bytes; events complete in them are then returned by <see cref="TryNext"/>.</summary>
    /// <exception cref="IOException">An event grew beyond <see cref="MaxEventBytes"/>.</exception>
    public void Append(ReadOnlySpan<byte> received)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end + received.Length > _buffer.Length)
        {
            if (_end + received.Length > MaxEventBytes)
            {
                throw new IOException($"a server-sent event exceeded {MaxEventBytes} bytes");
            }

            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _end + received.Length));
        }

        received.CopyTo(_buffer.AsSpan(_end));
        _end += received.Length;
    }

    /// <summary>The data of the next complete event (empty for an event without data, such as a comment).</summary>
    public bool TryNext(out ReadOnlySpan<byte> data)
    {
        var pending = _buffer.AsSpan(_start, _end - _start);
        var length = SseEvents.FindEventEnd(pending);
        if (length < 0)
        {
            data = default;
            return false;
        }

        data = SseEvents.DataOf(pending[..length]);
        _start += length;
        return true;
    }
}
