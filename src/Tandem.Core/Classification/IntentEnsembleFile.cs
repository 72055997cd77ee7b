using System.Globalization;
using System.Text;

namespace Tandem.Classification;

/// <summary>Reads and writes <see cref="IntentEnsemble"/> files: the kind is declared by the header.</summary>
/// <remarks>
/// Little-endian: the 8 bytes <c>TNDMIX01</c> (an ensemble; <c>TNDMIC01</c> is the n-gram kind, <c>TNDMIE01</c> the
/// encoder kind), then int32 format version (1), float64 n-gram temperature, encoder temperature and encoder weight,
/// float64 threshold, target accuracy, accuracy and coverage, then the two parts as whole files, each int32 byte
/// length + the bytes of an <see cref="IntentModelFile"/> and of an <see cref="EncoderIntentModelFile"/>.
/// </remarks>
public static class IntentEnsembleFile
{
    /// <summary>The current format version.</summary>
    public const int FormatVersion = 1;

    /// <summary>The kind this file declares.</summary>
    public const string Kind = "ensemble";

    private static ReadOnlySpan<byte> Magic => "TNDMIX01"u8;

    /// <summary>Whether <paramref name="path"/> starts with this kind's header.</summary>
    public static bool IsEnsembleModel(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[8];
        return file.ReadAtLeast(head, 8, throwOnEndOfStream: false) == 8 && head.SequenceEqual(Magic);
    }

    /// <summary>Writes <paramref name="ensemble"/> to the file <paramref name="path"/>.</summary>
    public static void Save(IntentEnsemble ensemble, string path)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        File.WriteAllBytes(path, [.. Magic, .. Payload(ensemble)]);
    }

    /// <summary>Reads a file; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static IntentEnsemble Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 12 || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' is not a Tandem intent ensemble (no TNDMIX01 header)");
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, 8, bytes.Length - 8));
            var format = reader.ReadInt32();
            if (format != FormatVersion)
            {
                throw new InvalidDataException($"'{path}' has ensemble format {format.ToString(CultureInfo.InvariantCulture)}; this Tandem reads format {FormatVersion.ToString(CultureInfo.InvariantCulture)}");
            }

            var (tn, te, w) = (reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
            var calibration = new IntentCalibration(reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
            var ngram = IntentModelFile.Read(Part(reader, bytes.Length), path + " (n-gram part)");
            var encoder = EncoderIntentModelFile.Read(Part(reader, bytes.Length), path + " (encoder part)");
            if (reader.BaseStream.Position != reader.BaseStream.Length)
            {
                throw new InvalidDataException($"'{path}' has bytes after its parts");
            }

            return new IntentEnsemble(ngram, encoder, tn, te, w, calibration);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            throw new InvalidDataException($"'{path}' is truncated or damaged: {e.Message}", e);
        }
    }

    /// <summary>Everything after the magic.</summary>
    internal static byte[] Payload(IntentEnsemble e)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(FormatVersion);
            w.Write(e.NgramTemperature);
            w.Write(e.EncoderTemperature);
            w.Write(e.EncoderWeight);
            w.Write(e.Calibration.Threshold);
            w.Write(e.Calibration.TargetAccuracy);
            w.Write(e.Calibration.Accuracy);
            w.Write(e.Calibration.Coverage);
            var ngram = IntentModelFile.ToBytes(e.Ngram);
            w.Write(ngram.Length);
            w.Write(ngram);
            var encoder = EncoderIntentModelFile.ToBytes(e.Encoder);
            w.Write(encoder.Length);
            w.Write(encoder);
        }

        return buffer.ToArray();
    }

    private static byte[] Part(BinaryReader reader, int fileLength)
    {
        var length = reader.ReadInt32();
        if (length < 0 || length > fileLength)
        {
            throw new EndOfStreamException("a part runs past the end of the file");
        }

        var bytes = reader.ReadBytes(length);
        return bytes.Length == length ? bytes : throw new EndOfStreamException("the file ends early");
    }
}
