using System.Globalization;
using System.IO.Hashing;
using Tandem.Routing.Learned;

namespace Tandem.Classification;

/// <summary>
/// An intent classifier over sentence embeddings: the text's embedding from a named <see cref="ISentenceEncoder"/>
/// (all-MiniLM-L6-v2 in practice), then multinomial logistic regression (one weight per dimension and label, and a
/// bias per label). File format: <see cref="EncoderIntentModelFile"/>.
/// </summary>
/// <remarks>
/// Like the n-gram kind, the model keeps the prompt template its training texts shared (<see cref="Prefix"/>,
/// <see cref="Suffix"/>) and embeds only the message inside it: the encoder reads at most 128 tokens, so a route's
/// instruction with its label list would otherwise fill the input and every query would embed alike.
/// </remarks>
public sealed class EncoderIntentClassifier
{
    private readonly string[] _labels;
    private readonly float[] _weights;
    private readonly float[] _bias;

    /// <summary>Creates a classifier from its parts (the trainer and the file reader).</summary>
    /// <param name="encoder">The name of the encoder whose embeddings the weights read.</param>
    /// <param name="dimensions">The embedding's length.</param>
    /// <param name="labels">The labels (two or more, distinct).</param>
    /// <param name="weights">Row-major: row <c>d</c> holds one weight per label for dimension <c>d</c>.</param>
    /// <param name="bias">One bias per label.</param>
    /// <param name="calibration">The confidence threshold chosen for a target accuracy.</param>
    /// <param name="prefix">The template text before the message (may be empty).</param>
    /// <param name="suffix">The template text after the message (may be empty).</param>
    public EncoderIntentClassifier(string encoder, int dimensions, IReadOnlyList<string> labels, float[] weights, float[] bias, IntentCalibration calibration, string prefix = "", string suffix = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(encoder);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        if (labels.Count < 2 || labels.Distinct(StringComparer.Ordinal).Count() != labels.Count)
        {
            throw new ArgumentException("a classifier needs two or more distinct labels", nameof(labels));
        }

        if (bias.Length != labels.Count || weights.Length != (long)dimensions * labels.Count)
        {
            throw new ArgumentException("the weights must hold one weight per dimension and label, and one bias per label", nameof(weights));
        }

        Encoder = encoder;
        Dimensions = dimensions;
        _labels = [.. labels];
        _weights = weights;
        _bias = bias;
        Calibration = calibration;
        Prefix = prefix ?? "";
        Suffix = suffix ?? "";
        Version = "ie-" + XxHash64.HashToUInt64(EncoderIntentModelFile.Payload(this)).ToString("x16", CultureInfo.InvariantCulture)[..12];
    }

    /// <summary>The encoder the model reads (<see cref="ISentenceEncoder.Name"/>).</summary>
    public string Encoder { get; }

    /// <summary>The embedding's length.</summary>
    public int Dimensions { get; }

    /// <summary>The labels, in class order.</summary>
    public IReadOnlyList<string> Labels => _labels;

    /// <summary>Row-major weights, one row per dimension.</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>The bias of each label.</summary>
    public ReadOnlySpan<float> Bias => _bias;

    /// <summary>The calibrated threshold and what it measured when trained.</summary>
    public IntentCalibration Calibration { get; }

    /// <summary>Template text before the message, stripped before embedding.</summary>
    public string Prefix { get; }

    /// <summary>Template text after the message, stripped before embedding.</summary>
    public string Suffix { get; }

    /// <summary>The version, from the content: <c>ie-</c> and 12 hex digits of the payload's XxHash64.</summary>
    public string Version { get; }

    /// <summary>The message inside the model's template: the text without the prefix and suffix, when it has both.</summary>
    public string Message(string text) => PromptTemplate.Message(text, Prefix, Suffix);

    /// <summary>
    /// Writes the embedding the model reads for <paramref name="text"/>: its message (the template stripped) through
    /// <paramref name="encoder"/>, which must be the one the model names.
    /// </summary>
    public void Embed(string text, ISentenceEncoder encoder, Span<float> embedding)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(encoder);
        if (encoder.Name != Encoder || encoder.Dimensions != Dimensions)
        {
            throw new ArgumentException($"the model reads {Encoder} embeddings ({Dimensions.ToString(CultureInfo.InvariantCulture)} dimensions), not {encoder.Name}", nameof(encoder));
        }

        encoder.Encode(Message(text), embedding);
    }

    /// <summary>Embeds <paramref name="text"/> as <see cref="Embed"/> does and predicts.</summary>
    public IntentPrediction Predict(string text, ISentenceEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        Span<float> embedding = stackalloc float[Dimensions];
        Embed(text, encoder, embedding);
        return Predict(embedding);
    }

    /// <summary>The most probable label of an embedding and its softmax probability.</summary>
    public IntentPrediction Predict(ReadOnlySpan<float> embedding)
    {
        var p = new double[_labels.Length];
        Probabilities(embedding, p);
        var best = 0;
        for (var c = 1; c < p.Length; c++)
        {
            if (p[c] > p[best])
            {
                best = c;
            }
        }

        return new IntentPrediction(_labels[best], p[best]);
    }

    /// <summary>Writes the probability of each label (in <see cref="Labels"/> order) of an embedding.</summary>
    public void Probabilities(ReadOnlySpan<float> embedding, Span<double> destination)
    {
        var k = _labels.Length;
        if (embedding.Length != Dimensions || destination.Length < k)
        {
            throw new ArgumentException($"the embedding needs {Dimensions.ToString(CultureInfo.InvariantCulture)} values and the destination one per label");
        }

        for (var c = 0; c < k; c++)
        {
            destination[c] = _bias[c];
        }

        for (var d = 0; d < Dimensions; d++)
        {
            var x = embedding[d];
            var row = _weights.AsSpan(d * k, k);
            for (var c = 0; c < k; c++)
            {
                destination[c] += row[c] * x;
            }
        }

        var max = double.NegativeInfinity;
        for (var c = 0; c < k; c++)
        {
            max = Math.Max(max, destination[c]);
        }

        double sum = 0;
        for (var c = 0; c < k; c++)
        {
            destination[c] = Math.Exp(destination[c] - max);
            sum += destination[c];
        }

        for (var c = 0; c < k; c++)
        {
            destination[c] /= sum;
        }
    }
}
