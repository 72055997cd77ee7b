using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Tandem.Routing.Learned;

/// <summary>
/// A logistic regression over hashed word and character n-grams (<see cref="HashedNgrams"/>): the probability that
/// the weak model's answer is not good enough, so that 0 is easy and 1 needs the strongest model. Scoring reads the
/// text once and allocates nothing.
/// </summary>
/// <remarks>
/// File format (little-endian): the 8 bytes <c>TNDMLR01</c>, int32 format version (1), int32 hash bits,
/// float32 bias, then 2^bits float32 weights. The <see cref="Version"/> is <c>lr-</c> and the first 12 hex digits
/// of the XxHash64 of everything after the magic: the same file always has the same version, and any change to its
/// weights changes it.
/// </remarks>
public sealed class LinearRouterModel
{
    /// <summary>The current file format version.</summary>
    public const int FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "TNDMLR01"u8;

    private readonly float[] _weights;
    private readonly uint _mask;

    /// <summary>Creates a model from its weights (length a power of two) and bias.</summary>
    public LinearRouterModel(float[] weights, float bias)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length < 2 || (weights.Length & (weights.Length - 1)) != 0)
        {
            throw new ArgumentException("the number of weights must be a power of two", nameof(weights));
        }

        _weights = weights;
        _mask = (uint)weights.Length - 1;
        Bias = bias;
        Bits = System.Numerics.BitOperations.Log2((uint)weights.Length);
        Version = "lr-" + XxHash64.HashToUInt64(Payload()).ToString("x16", CultureInfo.InvariantCulture)[..12];
    }

    /// <summary>The model's version, derived from its content (e.g. <c>lr-3f09a1c2b7de</c>).</summary>
    public string Version { get; }

    /// <summary>Hash bits: the model has 2^bits weights.</summary>
    public int Bits { get; }

    /// <summary>The bias (intercept).</summary>
    public float Bias { get; }

    /// <summary>The weights, indexed by feature hash masked to <see cref="Bits"/> bits.</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>The logit of <paramref name="text"/>: bias plus the mean-square-root-normalised sum of its features' weights.</summary>
    public double Logit(ReadOnlySpan<char> text)
    {
        var sink = new DotSink(_weights, _mask);
        var n = HashedNgrams.Read(text, ref sink);
        return n == 0 ? Bias : Bias + (sink.Sum / Math.Sqrt(n));
    }

    /// <summary>The probability, 0–1, that the text needs the stronger model.</summary>
    public double Score(ReadOnlySpan<char> text) => 1 / (1 + Math.Exp(-Logit(text)));

    /// <summary>Writes the model file.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(Magic);
        stream.Write(Payload());
    }

    /// <summary>Reads a model file; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static LinearRouterModel Load(string path) => Read(path, File.ReadAllBytes(path));

    /// <summary>Reads a model file from its bytes.</summary>
    internal static LinearRouterModel Read(string path, byte[] bytes)
    {
        if (bytes.Length < 20 || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' is not a Tandem router model (no TNDMLR01 header)");
        }

        var format = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (format != FormatVersion)
        {
            throw new InvalidDataException($"'{path}' has model format {format.ToString(CultureInfo.InvariantCulture)}; this Tandem reads format {FormatVersion.ToString(CultureInfo.InvariantCulture)}");
        }

        var bits = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
        if (bits is < 1 or > 26 || bytes.Length != 20 + (4L << bits))
        {
            throw new InvalidDataException($"'{path}' is truncated or damaged (hash bits {bits.ToString(CultureInfo.InvariantCulture)}, {bytes.Length.ToString(CultureInfo.InvariantCulture)} bytes)");
        }

        var bias = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(16));
        var weights = new float[1 << bits];
        var source = bytes.AsSpan(20);
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(i * 4)..]);
        }

        return new LinearRouterModel(weights, bias);
    }

    private byte[] Payload()
    {
        var payload = new byte[12 + (_weights.Length * 4)];
        BinaryPrimitives.WriteInt32LittleEndian(payload, FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(4), Bits);
        BinaryPrimitives.WriteSingleLittleEndian(payload.AsSpan(8), Bias);
        for (var i = 0; i < _weights.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(payload.AsSpan(12 + (i * 4)), _weights[i]);
        }

        return payload;
    }

    [StructLayout(LayoutKind.Auto)]
    private struct DotSink(float[] weights, uint mask) : IFeatureSink
    {
        public double Sum;

        public void Add(uint hash) => Sum += weights[hash & mask];
    }
}

/// <summary>
/// The <c>model</c> scorer of complexity tiers: a <see cref="LinearRouterModel"/> read from <c>tiers.model</c> when
/// the configuration is loaded (and read again on every reload).
/// </summary>
public sealed class LinearModelScorer(LinearRouterModel model) : IComplexityScorer
{
    /// <inheritdoc />
    public string Name => "model";

    /// <summary>The model's version, recorded with each decision.</summary>
    public string Version => model.Version;

    /// <inheritdoc />
    public double Score(RequestView request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return model.Score(request.Text);
    }
}
