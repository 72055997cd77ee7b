using System.Globalization;
using System.Text;

namespace Tandem.Classification;

/// <summary>Reads and writes <see cref="EncoderIntentClassifier"/> files: the kind is declared by the header.</summary>
/// <remarks>
/// Little-endian: the 8 bytes <c>TNDMIE01</c> (an <em>encoder</em> intent model; <c>TNDMIC01</c> is the n-gram kind of
/// <see cref="IntentModelFile"/>), then int32 format version (2), the encoder's name, the template's prefix and
/// suffix (each int32 byte length + UTF-8), int32 dimensions D, int32 labels K, float64 threshold, target accuracy, accuracy and coverage, the K labels, K
/// float32 biases and D×K float32 weights, row by row.
/// </remarks>
public static class EncoderIntentModelFile
{
    /// <summary>The current format version.</summary>
    /// <remarks>Format 1 had no template: its models embedded the whole prompt, so they are refused (train again).</remarks>
    public const int FormatVersion = 2;

    /// <summary>The kind this file declares.</summary>
    public const string Kind = "encoder";

    private static ReadOnlySpan<byte> Magic => "TNDMIE01"u8;

    /// <summary>Whether <paramref name="path"/> starts with this kind's header.</summary>
    public static bool IsEncoderModel(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[8];
        return file.ReadAtLeast(head, 8, throwOnEndOfStream: false) == 8 && head.SequenceEqual(Magic);
    }

    /// <summary>Writes <paramref name="classifier"/> to the file <paramref name="path"/>.</summary>
    public static void Save(EncoderIntentClassifier classifier, string path)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        File.WriteAllBytes(path, ToBytes(classifier));
    }

    /// <summary>The whole file's bytes: the header, then the payload.</summary>
    public static byte[] ToBytes(EncoderIntentClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return [.. Magic, .. Payload(classifier)];
    }

    /// <summary>Reads a file; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static EncoderIntentClassifier Load(string path) => Read(File.ReadAllBytes(path), path);

    /// <summary>Reads a file's bytes (<paramref name="path"/> names it in errors); throws <see cref="InvalidDataException"/>.</summary>
    public static EncoderIntentClassifier Read(byte[] bytes, string path)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 12 || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' is not a Tandem encoder intent classifier (no TNDMIE01 header)");
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, 8, bytes.Length - 8), new UTF8Encoding(false, true));
            var format = reader.ReadInt32();
            if (format != FormatVersion)
            {
                throw new InvalidDataException($"'{path}' has encoder classifier format {format.ToString(CultureInfo.InvariantCulture)}; this Tandem reads format {FormatVersion.ToString(CultureInfo.InvariantCulture)} (train the model again)");
            }

            var encoder = Text(reader, bytes.Length);
            var prefix = Text(reader, bytes.Length);
            var suffix = Text(reader, bytes.Length);
            var d = reader.ReadInt32();
            var k = reader.ReadInt32();
            if (d is < 1 or > 100_000 || k is < 2 or > 100_000 || (long)d * k * 4 > bytes.Length)
            {
                throw new InvalidDataException($"'{path}' is damaged ({d.ToString(CultureInfo.InvariantCulture)} dimensions, {k.ToString(CultureInfo.InvariantCulture)} labels)");
            }

            var calibration = new IntentCalibration(reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
            var labels = new string[k];
            for (var i = 0; i < k; i++)
            {
                labels[i] = Text(reader, bytes.Length);
            }

            var bias = Floats(reader, k);
            var weights = Floats(reader, d * k);
            if (reader.BaseStream.Position != reader.BaseStream.Length)
            {
                throw new InvalidDataException($"'{path}' has bytes after its weights");
            }

            return new EncoderIntentClassifier(encoder, d, labels, weights, bias, calibration, prefix, suffix);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or DecoderFallbackException)
        {
            throw new InvalidDataException($"'{path}' is truncated or damaged: {e.Message}", e);
        }
    }

    /// <summary>Everything after the magic.</summary>
    internal static byte[] Payload(EncoderIntentClassifier c)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            void Write(string value)
            {
                var bytes = Encoding.UTF8.GetBytes(value);
                w.Write(bytes.Length);
                w.Write(bytes);
            }

            w.Write(FormatVersion);
            Write(c.Encoder);
            Write(c.Prefix);
            Write(c.Suffix);
            w.Write(c.Dimensions);
            w.Write(c.Labels.Count);
            w.Write(c.Calibration.Threshold);
            w.Write(c.Calibration.TargetAccuracy);
            w.Write(c.Calibration.Accuracy);
            w.Write(c.Calibration.Coverage);
            foreach (var label in c.Labels)
            {
                Write(label);
            }

            foreach (var b in c.Bias)
            {
                w.Write(b);
            }

            foreach (var x in c.Weights)
            {
                w.Write(x);
            }
        }

        return buffer.ToArray();
    }

    private static string Text(BinaryReader reader, int fileLength)
    {
        var length = reader.ReadInt32();
        if (length < 0 || length > fileLength)
        {
            throw new EndOfStreamException("a string runs past the end of the file");
        }

        var bytes = reader.ReadBytes(length);
        return bytes.Length == length ? new UTF8Encoding(false, true).GetString(bytes) : throw new EndOfStreamException("the file ends early");
    }

    private static float[] Floats(BinaryReader reader, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = reader.ReadSingle();
        }

        return values;
    }
}
