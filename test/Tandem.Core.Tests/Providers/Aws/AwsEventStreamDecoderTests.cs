using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Tandem.Providers.Aws;
using Xunit;

namespace Tandem.Core.Tests.Providers.Aws;

/// <summary>
/// The event-stream decoder against the official aws-sdk-go vectors (<c>test/TestData/aws-sdk-go-eventstream</c>) and
/// real Bedrock ConverseStream bodies (<c>test/TestData/pydantic-ai-bedrock</c>), decoded independently by the
/// recorder of those files (<c>*.decoded.json</c>).
/// </summary>
public sealed class AwsEventStreamDecoderTests
{
    private static string Vectors => Path.Combine(TestData.Root, "aws-sdk-go-eventstream");

    private static string Bedrock => Path.Combine(TestData.Root, "pydantic-ai-bedrock");

    public static TheoryData<string> Positive() => Names("positive");

    public static TheoryData<string> Negative() => Names("negative");

    public static TheoryData<string> Recordings()
    {
        var data = new TheoryData<string>();
        foreach (var bin in Directory.EnumerateFiles(Bedrock, "*.eventstream.bin").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(bin)[..^".bin".Length]);
        }

        return data;
    }

    [Fact]
    public void Vectors_HoldFivePositiveAndFourNegativeCases()
    {
        Assert.Equal(5, Positive().Count);
        Assert.Equal(4, Negative().Count);
        Assert.Equal(7, Recordings().Count);
    }

    [Theory]
    [MemberData(nameof(Positive))]
    public void PositiveVector_DecodesToTheOfficialFields(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Vectors, "encoded", "positive", name));
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Vectors, "decoded", "positive", name)));
        var e = expected.RootElement;
        var decoder = new AwsEventStreamDecoder();

        decoder.Write(bytes);
        Assert.True(decoder.TryRead(out var message));

        Assert.Equal(e.GetProperty("total_length").GetInt32(), message.TotalLength);
        Assert.Equal(e.GetProperty("headers_length").GetInt32(), message.HeadersLength);
        Assert.Equal(e.GetProperty("prelude_crc").GetInt32(), unchecked((int)message.PreludeCrc));
        Assert.Equal(e.GetProperty("message_crc").GetInt32(), unchecked((int)message.MessageCrc));
        Assert.Equal(e.GetProperty("payload").GetString() ?? "", Convert.ToBase64String(message.Payload));
        var expectedHeaders = e.GetProperty("headers").EnumerateArray()
            .Select(h => (h.GetProperty("name").GetString()!, h.GetProperty("type").GetInt32(), h.GetProperty("value").ToString()))
            .ToList();
        var actual = new List<(string, int, string)>();
        foreach (var h in message.Headers)
        {
            actual.Add((Encoding.UTF8.GetString(h.Name), (int)h.Type, ValueText(h)));
        }

        Assert.Equal(expectedHeaders, actual);
        Assert.False(decoder.TryRead(out _));
        Assert.False(decoder.HasPartialMessage);
    }

    [Theory]
    [MemberData(nameof(Negative))]
    public void NegativeVector_FailsWithTheOfficialError(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Vectors, "encoded", "negative", name));
        var expected = File.ReadAllText(Path.Combine(Vectors, "decoded", "negative", name));
        var decoder = new AwsEventStreamDecoder();

        decoder.Write(bytes);
        var error = Assert.Throws<AwsEventStreamException>(() => decoder.TryRead(out _));

        Assert.Equal(expected, error.Message);
        Assert.IsAssignableFrom<IOException>(error);
    }

    [Theory]
    [MemberData(nameof(Recordings))]
    public void RecordedBedrockStream_DecodedInPiecesOfEverySize_GivesTheRecordersMessages(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Bedrock, name + ".bin"));
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Bedrock, name + ".decoded.json")));
        var want = expected.RootElement.EnumerateArray()
            .Select(m => (m.GetProperty("headers").GetProperty(":event-type").GetString()!, m.GetProperty("payload").GetString()!, m.GetProperty("total").GetInt32()))
            .ToList();

        foreach (var piece in (int[])[1, 2, 3, 7, 12, 13, 64, 1000, bytes.Length])
        {
            var got = new List<(string, string, int)>();
            var decoder = new AwsEventStreamDecoder(16);
            for (var offset = 0; offset < bytes.Length; offset += piece)
            {
                decoder.Write(bytes.AsSpan(offset, Math.Min(piece, bytes.Length - offset)));
                while (decoder.TryRead(out var message))
                {
                    Assert.Equal("event", Encoding.UTF8.GetString(message.StringHeader(":message-type"u8)));
                    got.Add((Encoding.UTF8.GetString(message.StringHeader(":event-type"u8)), Encoding.UTF8.GetString(message.Payload), message.TotalLength));
                }
            }

            Assert.Equal(want, got);
            Assert.False(decoder.HasPartialMessage);
        }
    }

    [Fact]
    public void TruncatedStream_LeavesAPartialMessage()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Bedrock, "test_bedrock_model_iter_stream.i1.eventstream.bin"));
        var decoder = new AwsEventStreamDecoder();

        decoder.Write(bytes.AsSpan(0, bytes.Length - 1));
        var count = 0;
        while (decoder.TryRead(out _))
        {
            count++;
        }

        Assert.Equal(8, count);
        Assert.True(decoder.HasPartialMessage);
    }

    [Fact]
    public void CorruptPreludeLength_FailsBeforeTheClaimedBytesArrive()
    {
        // The 12-byte prelude of a message claiming 1 GiB, with a correct prelude CRC: refused at once, not awaited.
        var prelude = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(prelude, 1u << 30);
        BinaryPrimitives.WriteUInt32BigEndian(prelude.AsSpan(4), 0);
        BinaryPrimitives.WriteUInt32BigEndian(prelude.AsSpan(8), System.IO.Hashing.Crc32.HashToUInt32(prelude.AsSpan(0, 8)));
        var decoder = new AwsEventStreamDecoder();
        decoder.Write(prelude);

        var error = Assert.Throws<AwsEventStreamException>(() => decoder.TryRead(out _));

        Assert.StartsWith("Invalid message lengths", error.Message, StringComparison.Ordinal);
    }

    private static TheoryData<string> Names(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Vectors, "encoded", kind)).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    /// <summary>A header value in the vectors' JSON form: numbers as numbers, strings and byte arrays base64, booleans as true/false.</summary>
    private static string ValueText(AwsEventMessage.Header h) => h.Type switch
    {
        AwsHeaderType.BoolTrue => "True",
        AwsHeaderType.BoolFalse => "False",
        AwsHeaderType.Byte => ((sbyte)h.Value[0]).ToString(System.Globalization.CultureInfo.InvariantCulture),
        AwsHeaderType.Int16 => BinaryPrimitives.ReadInt16BigEndian(h.Value).ToString(System.Globalization.CultureInfo.InvariantCulture),
        AwsHeaderType.Int32 => BinaryPrimitives.ReadInt32BigEndian(h.Value).ToString(System.Globalization.CultureInfo.InvariantCulture),
        AwsHeaderType.Int64 or AwsHeaderType.Timestamp => BinaryPrimitives.ReadInt64BigEndian(h.Value).ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToBase64String(h.Value),
    };
}
