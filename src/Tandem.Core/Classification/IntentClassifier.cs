using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Tandem.Classification;

/// <summary>What the classifier chose for a text, and how sure it is.</summary>
/// <param name="Label">The most probable label.</param>
/// <param name="Confidence">Its softmax probability, 0–1.</param>
public readonly record struct IntentPrediction(string Label, double Confidence);

/// <summary>
/// A distilled intent classifier: multinomial logistic regression over hashed word and character n-grams
/// (<see cref="IntentFeatures"/>) weighted by their inverse document frequency and L2-normalised (TF-IDF), with a
/// vocabulary of the feature hashes seen in training so that unseen n-grams add nothing (no collision between a known
/// and an unknown one). Predicting reads the text once and allocates nothing beyond a pooled score buffer.
/// </summary>
/// <remarks>
/// The model also keeps the prompt template its training texts shared (<see cref="Prefix"/>, <see cref="Suffix"/>):
/// a route that wraps the user's message in a fixed instruction sends the classifier only the message, as in
/// training. File format (little-endian), see <see cref="IntentModelFile"/>.
/// </remarks>
public sealed class IntentClassifier
{
    private readonly string[] _labels;
    private readonly Dictionary<uint, int> _rows;
    private readonly float[] _weights;
    private readonly float[] _bias;
    private readonly float[] _idf;

    /// <summary>Creates a classifier from its parts (the trainer and the file reader).</summary>
    /// <param name="labels">The labels, one per class (at least two, distinct).</param>
    /// <param name="features">The feature hashes of the vocabulary, one per weight row.</param>
    /// <param name="idf">The inverse document frequency of each feature, one per row.</param>
    /// <param name="weights">Row-major weights: row <c>i</c> (feature <c>features[i]</c>) holds one weight per label.</param>
    /// <param name="bias">One bias per label.</param>
    /// <param name="calibration">The confidence threshold chosen for a target accuracy, and what it measured.</param>
    /// <param name="prefix">The template text before the message (may be empty).</param>
    /// <param name="suffix">The template text after the message (may be empty).</param>
    public IntentClassifier(IReadOnlyList<string> labels, IReadOnlyList<uint> features, float[] idf, float[] weights, float[] bias, IntentCalibration calibration, string prefix = "", string suffix = "")
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(idf);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        ArgumentNullException.ThrowIfNull(calibration);
        if (labels.Count < 2 || labels.Distinct(StringComparer.Ordinal).Count() != labels.Count)
        {
            throw new ArgumentException("a classifier needs two or more distinct labels", nameof(labels));
        }

        if (bias.Length != labels.Count || idf.Length != features.Count || weights.Length != (long)features.Count * labels.Count)
        {
            throw new ArgumentException("the weights must hold one row of one weight per label for each feature, and one bias per label", nameof(weights));
        }

        _labels = [.. labels];
        _weights = weights;
        _bias = bias;
        _idf = idf;
        _rows = new Dictionary<uint, int>(features.Count);
        for (var i = 0; i < features.Count; i++)
        {
            if (!_rows.TryAdd(features[i], i))
            {
                throw new ArgumentException("feature hashes must be distinct", nameof(features));
            }
        }

        Features = [.. features];
        Calibration = calibration;
        Prefix = prefix ?? "";
        Suffix = suffix ?? "";
        Version = "ic-" + XxHash64.HashToUInt64(IntentModelFile.Payload(this)).ToString("x16", CultureInfo.InvariantCulture)[..12];
    }

    /// <summary>The labels, in class order.</summary>
    public IReadOnlyList<string> Labels => _labels;

    /// <summary>The feature hashes of the vocabulary, in row order.</summary>
    public IReadOnlyList<uint> Features { get; }

    /// <summary>The inverse document frequency of each feature.</summary>
    public ReadOnlySpan<float> Idf => _idf;

    /// <summary>Row-major weights, one row per feature.</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>The bias of each label.</summary>
    public ReadOnlySpan<float> Bias => _bias;

    /// <summary>The calibrated threshold and what it measured when trained.</summary>
    public IntentCalibration Calibration { get; }

    /// <summary>Template text before the message, stripped before reading the features.</summary>
    public string Prefix { get; }

    /// <summary>Template text after the message, stripped before reading the features.</summary>
    public string Suffix { get; }

    /// <summary>The version, from the content: <c>ic-</c> and 12 hex digits of the file's XxHash64.</summary>
    public string Version { get; }

    /// <summary>The message inside the model's template: the text without the prefix and suffix, when it has both.</summary>
    public ReadOnlySpan<char> Message(ReadOnlySpan<char> text) => PromptTemplate.Message(text, Prefix, Suffix);

    /// <summary>The most probable label of <paramref name="text"/> and its probability.</summary>
    public IntentPrediction Predict(ReadOnlySpan<char> text)
    {
        var scores = ArrayPool<float>.Shared.Rent(_labels.Length);
        try
        {
            Score(text, scores);
            var span = scores.AsSpan(0, _labels.Length);
            var best = 0;
            for (var i = 1; i < span.Length; i++)
            {
                if (span[i] > span[best])
                {
                    best = i;
                }
            }

            // Softmax of the best: 1 / Σ exp(s_i − s_best), never overflowing.
            double sum = 0;
            foreach (var s in span)
            {
                sum += Math.Exp(s - span[best]);
            }

            return new IntentPrediction(_labels[best], 1 / sum);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    /// <summary>Writes the probability of each label (in <see cref="Labels"/> order) into <paramref name="destination"/>.</summary>
    public void Probabilities(ReadOnlySpan<char> text, Span<double> destination)
    {
        if (destination.Length < _labels.Length)
        {
            throw new ArgumentException("the destination must hold one value per label", nameof(destination));
        }

        var scores = ArrayPool<float>.Shared.Rent(_labels.Length);
        try
        {
            Score(text, scores);
            var max = double.NegativeInfinity;
            for (var i = 0; i < _labels.Length; i++)
            {
                max = Math.Max(max, scores[i]);
            }

            double sum = 0;
            for (var i = 0; i < _labels.Length; i++)
            {
                destination[i] = Math.Exp(scores[i] - max);
                sum += destination[i];
            }

            for (var i = 0; i < _labels.Length; i++)
            {
                destination[i] /= sum;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    /// <summary>
    /// The logits: bias plus the sum of the known features' rows, each weighted by its IDF, divided by the L2 norm of
    /// those weights (each occurrence counted, as in training).
    /// </summary>
    private void Score(ReadOnlySpan<char> text, float[] scores)
    {
        var width = _labels.Length;
        Array.Clear(scores, 0, width);
        var sink = new RowSink(this, scores);
        IntentFeatures.Read(Message(text), ref sink);
        var scale = sink.Norm2 == 0 ? 0f : (float)(1 / Math.Sqrt(sink.Norm2));
        for (var i = 0; i < width; i++)
        {
            scores[i] = (scores[i] * scale) + _bias[i];
        }
    }

    /// <summary>The class index of <paramref name="label"/>, or -1.</summary>
    public int IndexOf(string label) => Array.IndexOf(_labels, label);

    /// <summary>Adds the IDF-weighted row of each known feature to the scores, and the square of the weight to the norm.</summary>
    [StructLayout(LayoutKind.Auto)]
    private struct RowSink(IntentClassifier model, float[] scores) : IIntentFeatureSink
    {
        public double Norm2;

        public void Add(uint hash)
        {
            if (!model._rows.TryGetValue(hash, out var row))
            {
                return;
            }

            var width = model._labels.Length;
            var idf = model._idf[row];
            Norm2 += idf * idf;
            var source = model._weights.AsSpan(row * width, width);
            var target = scores.AsSpan(0, width);
            var i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var factor = new Vector<float>(idf);
                for (; i <= width - Vector<float>.Count; i += Vector<float>.Count)
                {
                    (new Vector<float>(target[i..]) + (new Vector<float>(source[i..]) * factor)).CopyTo(target[i..]);
                }
            }

            for (; i < width; i++)
            {
                target[i] += source[i] * idf;
            }
        }
    }
}

/// <summary>
/// The confidence threshold chosen when the classifier was trained: the lowest at which its answers on held-out data
/// reached <see cref="TargetAccuracy"/>, with the accuracy and coverage measured there.
/// </summary>
/// <param name="Threshold">Answer when the confidence is at least this (1 when no threshold reached the target).</param>
/// <param name="TargetAccuracy">The accuracy aimed for, e.g. 0.99.</param>
/// <param name="Accuracy">Held-out accuracy of the answers at or above the threshold.</param>
/// <param name="Coverage">Held-out share of queries at or above the threshold.</param>
public sealed record IntentCalibration(double Threshold, double TargetAccuracy, double Accuracy, double Coverage);
