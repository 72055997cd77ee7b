using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Tandem.Simulator;

/// <summary>
/// Encodes AWS event-stream messages (<c>application/vnd.amazon.eventstream</c>): a 12-byte prelude (total length,
/// headers length, CRC32 of the first 8 bytes), string headers, the payload, and a CRC32 of everything before it.
/// The simulator's own encoder, independent of Tandem's decoder.
/// </summary>
public static class AwsEventStreamWriter
{
    /// <summary>One message with string headers (header type 7).</summary>
    public static byte[] Message(IReadOnlyList<(string Name, string Value)> headers, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var encoded = new List<byte>();
        foreach (var (name, value) in headers)
        {
            var n = Encoding.UTF8.GetBytes(name);
            var v = Encoding.UTF8.GetBytes(value);
            encoded.Add((byte)n.Length);
            encoded.AddRange(n);
            encoded.Add(7);
            encoded.Add((byte)(v.Length >> 8));
            encoded.Add((byte)v.Length);
            encoded.AddRange(v);
        }

        var total = 12 + encoded.Count + payload.Length + 4;
        var message = new byte[total];
        BinaryPrimitives.WriteUInt32BigEndian(message, (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), (uint)encoded.Count);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), Crc32.HashToUInt32(message.AsSpan(0, 8)));
        encoded.CopyTo(message, 12);
        payload.CopyTo(message.AsSpan(12 + encoded.Count));
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(total - 4), Crc32.HashToUInt32(message.AsSpan(0, total - 4)));
        return message;
    }

    /// <summary>An event: <c>:message-type event</c> with its event type and content type.</summary>
    public static byte[] Event(string eventType, string contentType, ReadOnlySpan<byte> payload) =>
        Message([(":event-type", eventType), (":content-type", contentType), (":message-type", "event")], payload);

    /// <summary>A modeled exception: <c>:message-type exception</c> with its exception type and a JSON payload.</summary>
    public static byte[] Exception(string exceptionType, string json) =>
        Message([(":exception-type", exceptionType), (":content-type", "application/json"), (":message-type", "exception")], Encoding.UTF8.GetBytes(json));
}
