using System.Buffers.Binary;
using System.IO.Hashing;

namespace Tandem.Providers.Aws;

/// <summary>
/// Decodes the AWS event stream (<c>application/vnd.amazon.eventstream</c>), the binary framing of SageMaker's
/// <c>InvokeEndpointWithResponseStream</c> and Bedrock's <c>ConverseStream</c>, from bytes as they arrive in any split.
/// </summary>
/// <remarks>
/// <code>
///   message = prelude (total length u32, headers length u32, prelude CRC32 u32)
///             headers (name length u8, name, type u8, value)*  payload  message CRC32 u32
/// </code>
/// Both checksums are verified (the prelude's as soon as its 12 bytes are in, so a corrupted length cannot make the
/// decoder wait for bytes that never come); a mismatch or a malformed header is an <see cref="AwsEventStreamException"/>,
/// an <see cref="IOException"/>, so that the upstream seam treats it like a broken connection.
/// </remarks>
internal sealed class AwsEventStreamDecoder
{
    /// <summary>Largest message accepted (AWS allows 16 MiB).</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    public const int PreludeBytes = 12;

    private const int MinMessageBytes = PreludeBytes + 4;
    private byte[] _buffer;
    private int _start;
    private int _end;

    // A plain array, not a pooled one: a translator has no end of life at which to return it.
    public AwsEventStreamDecoder(int initialCapacity = 4096) => _buffer = new byte[Math.Max(initialCapacity, 16)];

    /// <summary>Whether bytes of an unfinished message are waiting (at the end of a stream: it was cut short).</summary>
    public bool HasPartialMessage => _end > _start;

    /// <summary>Adds received bytes.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (data.Length > _buffer.Length - _end)
        {
            var pending = _end - _start;
            if (pending + data.Length <= _buffer.Length)
            {
                _buffer.AsSpan(_start, pending).CopyTo(_buffer);
            }
            else
            {
                var bigger = new byte[Math.Max(_buffer.Length * 2, pending + data.Length)];
                _buffer.AsSpan(_start, pending).CopyTo(bigger);
                _buffer = bigger;
            }

            _start = 0;
            _end = pending;
        }

        data.CopyTo(_buffer.AsSpan(_end));
        _end += data.Length;
    }

    /// <summary>
    /// Reads the next complete message; false when more bytes are needed. The message's spans point into the
    /// decoder's buffer and are valid until the next <see cref="Write"/>.
    /// </summary>
    /// <exception cref="AwsEventStreamException">A checksum does not match, or the message is malformed.</exception>
    public bool TryRead(out AwsEventMessage message)
    {
        message = default;
        var available = _buffer.AsSpan(_start, _end - _start);
        if (available.Length < PreludeBytes)
        {
            return false;
        }

        var total = BinaryPrimitives.ReadUInt32BigEndian(available);
        var headersLength = BinaryPrimitives.ReadUInt32BigEndian(available[4..]);
        var preludeCrc = BinaryPrimitives.ReadUInt32BigEndian(available[8..]);
        if (Crc32.HashToUInt32(available[..8]) != preludeCrc)
        {
            throw new AwsEventStreamException("Prelude checksum mismatch");
        }

        if (total < MinMessageBytes || total > MaxMessageBytes || headersLength > total - MinMessageBytes)
        {
            throw new AwsEventStreamException($"Invalid message lengths (total {total}, headers {headersLength})");
        }

        if (available.Length < total)
        {
            return false;
        }

        var whole = available[..(int)total];
        var messageCrc = BinaryPrimitives.ReadUInt32BigEndian(whole[^4..]);
        if (Crc32.HashToUInt32(whole[..^4]) != messageCrc)
        {
            throw new AwsEventStreamException("Message checksum mismatch");
        }

        var headers = whole.Slice(PreludeBytes, (int)headersLength);
        AwsEventMessage.Validate(headers);
        message = new AwsEventMessage(headers, whole[(PreludeBytes + (int)headersLength)..^4], preludeCrc, messageCrc);
        _start += (int)total;
        if (_start == _end)
        {
            _start = _end = 0;
        }

        return true;
    }
}

/// <summary>The event stream is corrupt (a checksum mismatch or a malformed message).</summary>
internal sealed class AwsEventStreamException(string message) : IOException(message);

/// <summary>The value types of event-stream headers.</summary>
internal enum AwsHeaderType : byte
{
    BoolTrue = 0,
    BoolFalse = 1,
    Byte = 2,
    Int16 = 3,
    Int32 = 4,
    Int64 = 5,
    ByteArray = 6,
    String = 7,
    Timestamp = 8,
    Uuid = 9,
}

/// <summary>One decoded event-stream message, over the decoder's buffer.</summary>
internal readonly ref struct AwsEventMessage
{
    private readonly ReadOnlySpan<byte> _headers;

    internal AwsEventMessage(ReadOnlySpan<byte> headers, ReadOnlySpan<byte> payload, uint preludeCrc, uint messageCrc)
    {
        _headers = headers;
        Payload = payload;
        PreludeCrc = preludeCrc;
        MessageCrc = messageCrc;
    }

    public ReadOnlySpan<byte> Payload { get; }

    public uint PreludeCrc { get; }

    public uint MessageCrc { get; }

    public int HeadersLength => _headers.Length;

    public int TotalLength => AwsEventStreamDecoder.PreludeBytes + _headers.Length + Payload.Length + 4;

    /// <summary>The value of a string header (UTF-8), or empty when the message has none by that name.</summary>
    public ReadOnlySpan<byte> StringHeader(ReadOnlySpan<byte> name)
    {
        foreach (var header in Headers)
        {
            if (header.Type == AwsHeaderType.String && header.Name.SequenceEqual(name))
            {
                return header.Value;
            }
        }

        return default;
    }

    public HeaderEnumerator Headers => new(_headers);

    /// <summary>Walks the headers once, so that a malformed one fails before anything reads the message.</summary>
    internal static void Validate(ReadOnlySpan<byte> headers)
    {
        foreach (var _ in new HeaderEnumerator(headers))
        {
        }
    }

    /// <summary>One header: its name, type and raw value (big-endian numbers; strings and byte arrays without their length).</summary>
    public readonly ref struct Header(ReadOnlySpan<byte> name, AwsHeaderType type, ReadOnlySpan<byte> value)
    {
        public ReadOnlySpan<byte> Name { get; } = name;

        public AwsHeaderType Type { get; } = type;

        public ReadOnlySpan<byte> Value { get; } = value;
    }

    public ref struct HeaderEnumerator(ReadOnlySpan<byte> headers)
    {
        private ReadOnlySpan<byte> _rest = headers;

        public Header Current { get; private set; }

        public readonly HeaderEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }

            var nameLength = _rest[0];
            if (nameLength == 0 || _rest.Length < 1 + nameLength + 1)
            {
                throw new AwsEventStreamException("Malformed header name");
            }

            var name = _rest.Slice(1, nameLength);
            var type = (AwsHeaderType)_rest[1 + nameLength];
            var rest = _rest[(2 + nameLength)..];
            int length;
            var prefix = 0;
            switch (type)
            {
                case AwsHeaderType.BoolTrue or AwsHeaderType.BoolFalse:
                    length = 0;
                    break;
                case AwsHeaderType.Byte:
                    length = 1;
                    break;
                case AwsHeaderType.Int16:
                    length = 2;
                    break;
                case AwsHeaderType.Int32:
                    length = 4;
                    break;
                case AwsHeaderType.Int64 or AwsHeaderType.Timestamp:
                    length = 8;
                    break;
                case AwsHeaderType.Uuid:
                    length = 16;
                    break;
                case AwsHeaderType.ByteArray or AwsHeaderType.String:
                    if (rest.Length < 2)
                    {
                        throw new AwsEventStreamException("Malformed header value");
                    }

                    length = BinaryPrimitives.ReadUInt16BigEndian(rest);
                    prefix = 2;
                    break;
                default:
                    throw new AwsEventStreamException($"Unknown header type {(byte)type}");
            }

            if (rest.Length < prefix + length)
            {
                throw new AwsEventStreamException("Malformed header value");
            }

            Current = new Header(name, type, rest.Slice(prefix, length));
            _rest = rest[(prefix + length)..];
            return true;
        }
    }
}
