using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Tandem.Classification;

/// <summary>
/// Reads and writes <see cref="IntentClassifier"/> files.
/// </summary>
/// <remarks>
/// Little-endian: the 8 bytes <c>TNDMIC01</c>, then the payload: int32 format version (1), int32 labels K, int32
/// features V; float64 threshold, target accuracy, accuracy and coverage of the calibration; the prefix, the suffix
/// and the K labels as int32 byte length + UTF-8; K float32 biases; V uint32 feature hashes; V float32 inverse
/// document frequencies; V×K float32 weights, row
/// by row. The classifier's version hashes the payload, so the same file always has the same version.
/// </remarks>
public static class IntentModelFile
{
    /// <summary>The current format version.</summary>
    public const int FormatVersion = 1;

    /// <summary>The usual file extension.</summary>
    public const string Extension = ".intents";

    private static ReadOnlySpan<byte> Magic => "TNDMIC01"u8;

    /// <summary>Writes <paramref name="classifier"/> to <paramref name="stream"/>.</summary>
    public static void Save(IntentClassifier classifier, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(Magic);
        stream.Write(Payload(classifier));
    }

    /// <summary>Writes <paramref name="classifier"/> to the file <paramref name="path"/>.</summary>
    public static void Save(IntentClassifier classifier, string path)
    {
        using var file = File.Create(path);
        Save(classifier, file);
    }

    /// <summary>Reads a classifier file; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static IntentClassifier Load(string path) => Read(File.ReadAllBytes(path), path);

    /// <summary>The whole file's bytes: the header, then the payload.</summary>
    public static byte[] ToBytes(IntentClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return [.. Magic, .. Payload(classifier)];
    }

    /// <summary>Reads a file's bytes (<paramref name="path"/> names it in errors); throws <see cref="InvalidDataException"/>.</summary>
    public static IntentClassifier Read(byte[] bytes, string path)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 12 || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' is not a Tandem intent classifier (no TNDMIC01 header)");
        }

        var format = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (format != FormatVersion)
        {
            throw new InvalidDataException($"'{path}' has classifier format {format.ToString(CultureInfo.InvariantCulture)}; this Tandem reads format {FormatVersion.ToString(CultureInfo.InvariantCulture)}");
        }

        try
        {
            var reader = new Reader(bytes, 12);
            var k = reader.Int32();
            var v = reader.Int32();
            if (k is < 2 or > 100_000 || v is < 0 or > 50_000_000 || (long)k * v > 200_000_000)
            {
                throw new InvalidDataException($"'{path}' is damaged ({k.ToString(CultureInfo.InvariantCulture)} labels, {v.ToString(CultureInfo.InvariantCulture)} features)");
            }

            var calibration = new IntentCalibration(reader.Float64(), reader.Float64(), reader.Float64(), reader.Float64());
            var prefix = reader.String();
            var suffix = reader.String();
            var labels = new string[k];
            for (var i = 0; i < k; i++)
            {
                labels[i] = reader.String();
            }

            var bias = reader.Floats(k);
            var features = new uint[v];
            for (var i = 0; i < v; i++)
            {
                features[i] = reader.UInt32();
            }

            var idf = reader.Floats(v);
            var weights = reader.Floats(v * k);
            if (!reader.AtEnd)
            {
                throw new InvalidDataException($"'{path}' has bytes after its weights");
            }

            return new IntentClassifier(labels, features, idf, weights, bias, calibration, prefix, suffix);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or DecoderFallbackException)
        {
            throw new InvalidDataException($"'{path}' is truncated or damaged: {e.Message}", e);
        }
    }

    /// <summary>Everything after the magic.</summary>
    internal static byte[] Payload(IntentClassifier c)
    {
        var k = c.Labels.Count;
        var v = c.Features.Count;
        using var buffer = new MemoryStream(64 + (((2 * v) + (v * k) + k) * 4));

        // BinaryWriter writes little-endian on every platform, as the format requires.
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            void Text(string value)
            {
                var bytes = Encoding.UTF8.GetBytes(value);
                w.Write(bytes.Length);
                w.Write(bytes);
            }

            w.Write(FormatVersion);
            w.Write(k);
            w.Write(v);
            w.Write(c.Calibration.Threshold);
            w.Write(c.Calibration.TargetAccuracy);
            w.Write(c.Calibration.Accuracy);
            w.Write(c.Calibration.Coverage);
            Text(c.Prefix);
            Text(c.Suffix);
            foreach (var label in c.Labels)
            {
                Text(label);
            }

            foreach (var b in c.Bias)
            {
                w.Write(b);
            }

            foreach (var f in c.Features)
            {
                w.Write(f);
            }

            foreach (var x in c.Idf)
            {
                w.Write(x);
            }

            foreach (var x in c.Weights)
            {
                w.Write(x);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>A bounds-checked cursor (a short file throws <see cref="EndOfStreamException"/>, never reads past the end).</summary>
    private sealed class Reader(byte[] bytes, int offset)
    {
        private int _offset = offset;

        public bool AtEnd => _offset == bytes.Length;

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public double Float64() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

        public string String()
        {
            var length = Int32();
            if (length < 0 || length > bytes.Length - _offset)
            {
                throw new EndOfStreamException("a string runs past the end of the file");
            }

            return new UTF8Encoding(false, true).GetString(Take(length));
        }

        public float[] Floats(int count)
        {
            if (count < 0 || (long)count * 4 > bytes.Length - _offset)
            {
                throw new EndOfStreamException("the file ends before its weights do");
            }

            var values = new float[count];
            var source = Take(count * 4);
            for (var i = 0; i < count; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(i * 4)..]);
            }

            return values;
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count > bytes.Length - _offset)
            {
                throw new EndOfStreamException("the file ends early");
            }

            var span = bytes.AsSpan(_offset, count);
            _offset += count;
            return span;
        }
    }
}
