using System.Globalization;
using System.IO.Hashing;
using Tandem.Routing.Learned;

namespace Tandem.Classification;

/// <summary>
/// The two intent model kinds together: the n-gram classifier (<see cref="IntentClassifier"/>: word and character
/// n-grams, strong on exact wording) and the encoder classifier (<see cref="EncoderIntentClassifier"/>: sentence
/// embeddings, strong on paraphrase), each made calibrated by its own temperature (fitted on held-out data when
/// trained), their probabilities averaged. File format: <see cref="IntentEnsembleFile"/>.
/// </summary>
/// <remarks>
/// Probability of label <c>c</c>: <c>w · temper(p_encoder, T_e)[c] + (1 − w) · temper(p_ngram, T_n)[c]</c>, where
/// <c>temper(p, T)[c] = p[c]^(1/T) / Σ p[i]^(1/T)</c> (temperature scaling of the softmax) and <c>w</c> the encoder's
/// weight. Both parts strip the same prompt template (each keeps its own copy, learnt from the same texts).
/// </remarks>
public sealed class IntentEnsemble
{
    /// <summary>Creates an ensemble from its parts, which must have the same labels in the same order.</summary>
    /// <param name="ngram">The n-gram part.</param>
    /// <param name="encoder">The encoder part.</param>
    /// <param name="ngramTemperature">The n-gram part's temperature (above 0).</param>
    /// <param name="encoderTemperature">The encoder part's temperature (above 0).</param>
    /// <param name="encoderWeight">The encoder part's share of the average, 0–1.</param>
    /// <param name="calibration">The ensemble's confidence threshold chosen for a target accuracy.</param>
    public IntentEnsemble(IntentClassifier ngram, EncoderIntentClassifier encoder, double ngramTemperature, double encoderTemperature, double encoderWeight, IntentCalibration calibration)
    {
        ArgumentNullException.ThrowIfNull(ngram);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(calibration);
        if (!ngram.Labels.SequenceEqual(encoder.Labels, StringComparer.Ordinal))
        {
            throw new ArgumentException("the two parts must have the same labels in the same order", nameof(encoder));
        }

        if (!(ngramTemperature is > 0 and < double.PositiveInfinity) || !(encoderTemperature is > 0 and < double.PositiveInfinity) || !(encoderWeight is >= 0 and <= 1))
        {
            throw new ArgumentException("temperatures must be positive and finite, and the encoder's weight 0–1");
        }

        Ngram = ngram;
        Encoder = encoder;
        NgramTemperature = ngramTemperature;
        EncoderTemperature = encoderTemperature;
        EncoderWeight = encoderWeight;
        Calibration = calibration;
        Version = "ix-" + XxHash64.HashToUInt64(IntentEnsembleFile.Payload(this)).ToString("x16", CultureInfo.InvariantCulture)[..12];
    }

    /// <summary>The n-gram part.</summary>
    public IntentClassifier Ngram { get; }

    /// <summary>The encoder part.</summary>
    public EncoderIntentClassifier Encoder { get; }

    /// <summary>The n-gram part's temperature.</summary>
    public double NgramTemperature { get; }

    /// <summary>The encoder part's temperature.</summary>
    public double EncoderTemperature { get; }

    /// <summary>The encoder part's share of the average.</summary>
    public double EncoderWeight { get; }

    /// <summary>The labels, in class order (both parts').</summary>
    public IReadOnlyList<string> Labels => Ngram.Labels;

    /// <summary>The ensemble's calibrated threshold and what it measured when trained.</summary>
    public IntentCalibration Calibration { get; }

    /// <summary>The version, from the content: <c>ix-</c> and 12 hex digits of the payload's XxHash64.</summary>
    public string Version { get; }

    /// <summary>Embeds <paramref name="text"/>'s message with <paramref name="encoder"/> (the one the encoder part names) and predicts.</summary>
    public IntentPrediction Predict(string text, ISentenceEncoder encoder)
    {
        Span<float> embedding = stackalloc float[Encoder.Dimensions];
        Encoder.Embed(text, encoder, embedding);
        return Predict(text, embedding);
    }

    /// <summary>Predicts from the text (for the n-gram part) and its message's embedding (for the encoder part).</summary>
    public IntentPrediction Predict(string text, ReadOnlySpan<float> embedding)
    {
        var p = new double[Labels.Count];
        Probabilities(text, embedding, p);
        var best = 0;
        for (var c = 1; c < p.Length; c++)
        {
            if (p[c] > p[best])
            {
                best = c;
            }
        }

        return new IntentPrediction(Labels[best], p[best]);
    }

    /// <summary>Writes the ensemble's probability of each label (in <see cref="Labels"/> order).</summary>
    public void Probabilities(string text, ReadOnlySpan<float> embedding, Span<double> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        var k = Labels.Count;
        if (destination.Length < k)
        {
            throw new ArgumentException("the destination must hold one value per label", nameof(destination));
        }

        var fromEncoder = new double[k];
        Ngram.Probabilities(text, destination);
        Encoder.Probabilities(embedding, fromEncoder);
        Combine(destination[..k], fromEncoder, NgramTemperature, EncoderTemperature, EncoderWeight);
    }

    /// <summary>
    /// Averages two probability vectors after tempering each: <paramref name="ngram"/> becomes
    /// <c>(1 − w) · temper(ngram, Tn) + w · temper(encoder, Te)</c>; <paramref name="encoder"/> is tempered in place.
    /// </summary>
    public static void Combine(Span<double> ngram, Span<double> encoder, double ngramTemperature, double encoderTemperature, double encoderWeight)
    {
        if (ngram.Length != encoder.Length)
        {
            throw new ArgumentException("both vectors need one value per label", nameof(encoder));
        }

        Temper(ngram, ngramTemperature);
        Temper(encoder, encoderTemperature);
        for (var c = 0; c < ngram.Length; c++)
        {
            ngram[c] = ((1 - encoderWeight) * ngram[c]) + (encoderWeight * encoder[c]);
        }
    }

    /// <summary>Temperature scaling of a probability vector, in place: <c>p[c]^(1/T) / Σ p[i]^(1/T)</c>, computed in logs.</summary>
    public static void Temper(Span<double> p, double temperature)
    {
        var max = double.NegativeInfinity;
        for (var c = 0; c < p.Length; c++)
        {
            p[c] = Math.Log(Math.Max(p[c], double.Epsilon)) / temperature;
            max = Math.Max(max, p[c]);
        }

        double sum = 0;
        for (var c = 0; c < p.Length; c++)
        {
            p[c] = Math.Exp(p[c] - max);
            sum += p[c];
        }

        for (var c = 0; c < p.Length; c++)
        {
            p[c] /= sum;
        }
    }
}
