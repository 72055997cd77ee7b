using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace Tandem.Routing.Learned;

/// <summary>
/// The head of an encoder router: a logistic regression over a sentence encoder's embedding, giving the probability
/// that the weak model's answer is not good enough. The file holds the head and the encoder's name only; the
/// encoder (hundreds of MB) comes from the host, so the file stays small (~1.6 KB for 384 dimensions).
/// </summary>
/// <remarks>
/// File format (little-endian): the 8 bytes <c>TNDMEH01</c>, int32 format version (1), int32 byte length of the
/// encoder name then its UTF-8 bytes, int32 dimensions, float32 bias, then the float32 weights. The
/// <see cref="Version"/> is <c>enc-</c> and the first 12 hex digits of the XxHash64 of everything after the magic.
/// </remarks>
public sealed class EncoderRouterModel
{
    /// <summary>The current file format version.</summary>
    public const int FormatVersion = 1;

    /// <summary>The magic bytes that start a head file.</summary>
    internal static ReadOnlySpan<byte> Magic => "TNDMEH01"u8;

    private readonly float[] _weights;

    /// <summary>Creates a head for <paramref name="encoder"/> from its weights (one per dimension) and bias.</summary>
    public EncoderRouterModel(string encoder, float[] weights, float bias)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(encoder);
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length is < 1 or > 65536)
        {
            throw new ArgumentException("a head needs 1–65,536 weights", nameof(weights));
        }

        Encoder = encoder;
        _weights = weights;
        Bias = bias;
        Version = "enc-" + XxHash64.HashToUInt64(Payload()).ToString("x16", CultureInfo.InvariantCulture)[..12];
    }

    /// <summary>The sentence encoder the head was trained on.</summary>
    public string Encoder { get; }

    /// <summary>The model's version, derived from its content (e.g. <c>enc-3f09a1c2b7de</c>).</summary>
    public string Version { get; }

    /// <summary>The bias (intercept).</summary>
    public float Bias { get; }

    /// <summary>The weights, one per embedding dimension.</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>The probability, 0–1, that a text with this embedding needs the stronger model.</summary>
    public double Score(ReadOnlySpan<float> embedding)
    {
        if (embedding.Length != _weights.Length)
        {
            throw new ArgumentException($"the embedding has {embedding.Length} dimensions; the head expects {_weights.Length}", nameof(embedding));
        }

        double z = Bias;
        for (var i = 0; i < _weights.Length; i++)
        {
            z += _weights[i] * embedding[i];
        }

        return 1 / (1 + Math.Exp(-z));
    }

    /// <summary>Writes the head file.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(Magic);
        stream.Write(Payload());
    }

    /// <summary>Reads a head file from its bytes; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    internal static EncoderRouterModel Read(string path, ReadOnlySpan<byte> bytes)
    {
        var c = CultureInfo.InvariantCulture;
        if (bytes.Length < 16 || !bytes[..8].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' is not a Tandem encoder router head (no TNDMEH01 header)");
        }

        var format = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        if (format != FormatVersion)
        {
            throw new InvalidDataException($"'{path}' has encoder head format {format.ToString(c)}; this Tandem reads format {FormatVersion.ToString(c)}");
        }

        var nameLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        if (nameLength is < 1 or > 256 || bytes.Length < 16 + nameLength + 8)
        {
            throw new InvalidDataException($"'{path}' is truncated or damaged (encoder name of {nameLength.ToString(c)} bytes, {bytes.Length.ToString(c)} bytes in all)");
        }

        var name = Encoding.UTF8.GetString(bytes.Slice(16, nameLength));
        var at = 16 + nameLength;
        var dimensions = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
        if (dimensions is < 1 or > 65536 || bytes.Length != at + 8 + (4L * dimensions))
        {
            throw new InvalidDataException($"'{path}' is truncated or damaged ({dimensions.ToString(c)} dimensions, {bytes.Length.ToString(c)} bytes)");
        }

        var bias = BinaryPrimitives.ReadSingleLittleEndian(bytes[(at + 4)..]);
        var weights = new float[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            weights[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(at + 8 + (i * 4))..]);
        }

        return new EncoderRouterModel(name, weights, bias);
    }

    private byte[] Payload()
    {
        var name = Encoding.UTF8.GetBytes(Encoder);
        var payload = new byte[4 + 4 + name.Length + 4 + 4 + (_weights.Length * 4)];
        BinaryPrimitives.WriteInt32LittleEndian(payload, FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(4), name.Length);
        name.CopyTo(payload.AsSpan(8));
        var at = 8 + name.Length;
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(at), _weights.Length);
        BinaryPrimitives.WriteSingleLittleEndian(payload.AsSpan(at + 4), Bias);
        for (var i = 0; i < _weights.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(payload.AsSpan(at + 8 + (i * 4)), _weights[i]);
        }

        return payload;
    }
}

/// <summary>
/// The <c>model</c> scorer of complexity tiers for an encoder router: embeds the request's text with the host's
/// encoder, then scores the embedding with the head. The embedding buffer is rented per call.
/// </summary>
public sealed class EncoderModelScorer : IComplexityScorer
{
    private readonly EncoderRouterModel _head;
    private readonly ISentenceEncoder _encoder;

    /// <summary>Pairs a head with the encoder it was trained on.</summary>
    public EncoderModelScorer(EncoderRouterModel head, ISentenceEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(encoder);
        if (encoder.Dimensions != head.Weights.Length)
        {
            throw new ArgumentException($"encoder {encoder.Name} gives {encoder.Dimensions} dimensions; the head has {head.Weights.Length}", nameof(encoder));
        }

        _head = head;
        _encoder = encoder;
    }

    /// <inheritdoc />
    public string Name => "model";

    /// <summary>The head's version, recorded with each decision.</summary>
    public string Version => _head.Version;

    /// <inheritdoc />
    public double Score(RequestView request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var buffer = System.Buffers.ArrayPool<float>.Shared.Rent(_encoder.Dimensions);
        try
        {
            var embedding = buffer.AsSpan(0, _encoder.Dimensions);
            _encoder.Encode(request.Text, embedding);
            return _head.Score(embedding);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
