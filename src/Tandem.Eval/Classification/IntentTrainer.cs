using System.Runtime.InteropServices;
using Tandem.Classification;

namespace Tandem.Eval.Classification;

/// <summary>One labelled text.</summary>
/// <param name="Text">The user's message as the route receives it (a prompt template around it is fine).</param>
/// <param name="Label">The label: a rater's, a suite's, or the answer the route's LLM gave.</param>
public sealed record IntentExample(string Text, string Label);

/// <summary>Settings of <see cref="IntentTrainer"/>.</summary>
public sealed record IntentTrainerOptions
{
    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; init; } = 12;

    /// <summary>AdaGrad's base step.</summary>
    public double LearningRate { get; init; } = 0.15;

    /// <summary>L2 penalty per step on the weights touched.</summary>
    public double L2 { get; init; } = 1e-6;

    /// <summary>Seed of the visiting order.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>A feature enters the vocabulary when this many training texts have it.</summary>
    public int MinCount { get; init; } = 1;

    /// <summary>The accuracy the calibrated threshold aims for.</summary>
    public double TargetAccuracy { get; init; } = 0.99;
}

/// <summary>
/// Trains <see cref="IntentClassifier"/>: multinomial logistic regression (softmax, cross-entropy) by stochastic
/// gradient descent with per-weight AdaGrad steps, over the TF-IDF-weighted, L2-normalised features of
/// <see cref="IntentFeatures"/>, computed exactly as at inference. Examples are visited in an order shuffled by a seeded generator and the vocabulary is ordered by
/// hash, so the same data and options give the same file, byte for byte.
/// </summary>
public static class IntentTrainer
{
    /// <summary>
    /// Trains on <paramref name="train"/> and chooses the confidence threshold on <paramref name="calibration"/>
    /// (held-out data the model did not see) for <see cref="IntentTrainerOptions.TargetAccuracy"/>.
    /// </summary>
    public static IntentClassifier Train(IReadOnlyList<IntentExample> train, IReadOnlyList<IntentExample> calibration, IntentTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(options);
        var (prefix, suffix) = IntentTemplate.Find(train.Select(e => e.Text).ToList());
        var labels = train.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (labels.Length < 2)
        {
            throw new ArgumentException("training needs examples of two labels or more", nameof(train));
        }

        var k = labels.Length;
        var labelIndex = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var hashed = train.Select(e => Hashes(PromptTemplate.Message(e.Text, prefix, suffix))).ToArray();
        var (vocabulary, idf) = Vocabulary(hashed, options.MinCount);
        var rows = vocabulary.Select((h, i) => (h, i)).ToDictionary(p => p.h, p => p.i);
        var examples = hashed.Select((h, i) => Example(h, rows, idf, labelIndex[train[i].Label])).ToArray();
        var weights = new float[vocabulary.Length * k];
        var squares = new float[weights.Length];
        var bias = new double[k];
        var biasSquares = new double[k];
        var z = new double[k];
        var order = Enumerable.Range(0, examples.Length).ToArray();
        var random = new Random(options.Seed);
        var lr = options.LearningRate;
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            random.Shuffle(order);
            foreach (var e in order)
            {
                var (features, values, label) = examples[e];
                Array.Clear(z);
                for (var j = 0; j < features.Length; j++)
                {
                    var row = weights.AsSpan(features[j] * k, k);
                    var x = values[j];
                    for (var c = 0; c < k; c++)
                    {
                        z[c] += row[c] * x;
                    }
                }

                var max = double.NegativeInfinity;
                for (var c = 0; c < k; c++)
                {
                    z[c] += bias[c];
                    max = Math.Max(max, z[c]);
                }

                double sum = 0;
                for (var c = 0; c < k; c++)
                {
                    z[c] = Math.Exp(z[c] - max);
                    sum += z[c];
                }

                // z now holds the gradient of the loss by each logit: p − y.
                for (var c = 0; c < k; c++)
                {
                    z[c] = (z[c] / sum) - (c == label ? 1 : 0);
                    biasSquares[c] += z[c] * z[c];
                    bias[c] -= lr * z[c] / Math.Sqrt(biasSquares[c] + 1e-8);
                }

                for (var j = 0; j < features.Length; j++)
                {
                    var row = weights.AsSpan(features[j] * k, k);
                    var rowSquares = squares.AsSpan(features[j] * k, k);
                    var x = values[j];
                    for (var c = 0; c < k; c++)
                    {
                        var g = (z[c] * x) + (options.L2 * row[c]);
                        if (g == 0)
                        {
                            continue;
                        }

                        rowSquares[c] += (float)(g * g);
                        row[c] -= (float)(lr * g / Math.Sqrt(rowSquares[c] + 1e-8));
                    }
                }
            }
        }

        var biases = bias.Select(b => (float)b).ToArray();
        var uncalibrated = new IntentClassifier(labels, vocabulary, idf, weights, biases, new IntentCalibration(1, options.TargetAccuracy, double.NaN, 0), prefix, suffix);
        var chosen = calibration.Count == 0
            ? new IntentCalibration(1, options.TargetAccuracy, double.NaN, 0)
            : IntentMetrics.Calibrate(IntentMetrics.Predict(uncalibrated, calibration), options.TargetAccuracy);
        return new IntentClassifier(labels, vocabulary, idf, weights, biases, chosen, prefix, suffix);
    }

    /// <summary>Splits examples 80/20 by a hash of the text (a text is always on the same side), for data without a held-out set.</summary>
    public static (List<IntentExample> Train, List<IntentExample> HeldOut) Split(IReadOnlyList<IntentExample> examples, int heldOutPercent = 20)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var train = new List<IntentExample>();
        var heldOut = new List<IntentExample>();
        foreach (var e in examples)
        {
            var bucket = System.IO.Hashing.XxHash32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(e.Text)) % 100;
            (bucket < heldOutPercent ? heldOut : train).Add(e);
        }

        return (train, heldOut);
    }

    /// <summary>
    /// Feature hashes seen in at least <paramref name="minCount"/> texts, ordered by hash, and their smoothed inverse
    /// document frequency ln((1 + N) / (1 + df)) + 1.
    /// </summary>
    private static (uint[] Vocabulary, float[] Idf) Vocabulary(IReadOnlyList<List<uint>> hashed, int minCount)
    {
        var counts = new Dictionary<uint, int>();
        foreach (var list in hashed)
        {
            foreach (var h in list.Distinct())
            {
                counts[h] = counts.GetValueOrDefault(h) + 1;
            }
        }

        var kept = counts.Where(p => p.Value >= minCount).OrderBy(p => p.Key).ToArray();
        return ([.. kept.Select(p => p.Key)], [.. kept.Select(p => (float)(Math.Log((1.0 + hashed.Count) / (1.0 + p.Value)) + 1))]);
    }

    /// <summary>An example's rows (one per known occurrence) and values: the IDF over the L2 norm, as at inference.</summary>
    private static (int[] Rows, float[] Values, int Label) Example(List<uint> hashes, Dictionary<uint, int> rows, float[] idf, int label)
    {
        var known = hashes.Where(rows.ContainsKey).Select(h => rows[h]).ToArray();
        double norm2 = 0;
        foreach (var r in known)
        {
            norm2 += idf[r] * idf[r];
        }

        var scale = norm2 == 0 ? 0f : (float)(1 / Math.Sqrt(norm2));
        return (known, [.. known.Select(r => idf[r] * scale)], label);
    }

    /// <summary>Every feature occurrence of a text, repeats included, exactly as inference adds them.</summary>
    private static List<uint> Hashes(string text)
    {
        var sink = new ListSink(new List<uint>(text.Length + 16));
        IntentFeatures.Read(text, ref sink);
        return sink.Hashes;
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly struct ListSink(List<uint> hashes) : IIntentFeatureSink
    {
        public List<uint> Hashes => hashes;

        public void Add(uint hash) => hashes.Add(hash);
    }
}
