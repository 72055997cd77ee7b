namespace Tandem.Routing.Learned;

/// <summary>A router model file read and turned into the <c>model</c> scorer of complexity tiers.</summary>
/// <param name="Scorer">Scores requests.</param>
/// <param name="Kind"><c>linear</c> (hashed n-grams) or <c>encoder</c> (a head over a sentence encoder).</param>
/// <param name="Version">The model's version, recorded with each decision.</param>
public sealed record RouterModel(IComplexityScorer Scorer, string Kind, string Version);

/// <summary>
/// Reads either kind of router model file: the file declares its kind by its first 8 bytes (<c>TNDMLR01</c> a
/// <see cref="LinearRouterModel"/>, <c>TNDMEH01</c> an <see cref="EncoderRouterModel"/> head), so
/// <c>tiers.scorer: model</c> serves whichever <c>tandem router train</c> wrote.
/// </summary>
public static class RouterModelFile
{
    /// <summary>Reads and checks a model file (validation); throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static object Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes.AsSpan().StartsWith(EncoderRouterModel.Magic) ? EncoderRouterModel.Read(path, bytes) : LinearRouterModel.Read(path, bytes);
    }

    /// <summary>
    /// Loads a model file as a scorer. An encoder head needs its encoder from <paramref name="encoders"/> (by name);
    /// a host without it gets an <see cref="InvalidDataException"/> saying so.
    /// </summary>
    public static RouterModel Load(string path, Func<string, ISentenceEncoder?>? encoders)
    {
        switch (Read(path))
        {
            case EncoderRouterModel head:
                var encoder = encoders?.Invoke(head.Encoder)
                    ?? throw new InvalidDataException($"'{path}' is an encoder router over {head.Encoder}, which this host does not provide (tandem serve does; an embedding host registers Tandem.Routing.Encoder)");
                if (encoder.Dimensions != head.Weights.Length)
                {
                    throw new InvalidDataException($"'{path}' has {head.Weights.Length} weights; encoder {head.Encoder} gives {encoder.Dimensions} dimensions");
                }

                return new RouterModel(new EncoderModelScorer(head, encoder), "encoder", head.Version);
            case LinearRouterModel linear:
                return new RouterModel(new LinearModelScorer(linear), "linear", linear.Version);
            default:
                throw new InvalidDataException($"'{path}' is not a router model");
        }
    }
}
