using Tandem.Classification;
using Tandem.Routing.Learned;

namespace Tandem.Eval.Classification;

/// <summary>Settings of <see cref="EncoderIntentTrainer"/>.</summary>
public sealed record EncoderIntentTrainerOptions
{
    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>AdaGrad's base step.</summary>
    public double LearningRate { get; init; } = 0.5;

    /// <summary>L2 penalty per step on the weights (not the biases).</summary>
    public double L2 { get; init; } = 1e-5;

    /// <summary>Seed of the visiting order.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>The accuracy the calibrated threshold aims for.</summary>
    public double TargetAccuracy { get; init; } = 0.99;
}

/// <summary>A trained encoder classifier, with the embeddings it was trained and calibrated on (messages, template stripped).</summary>
/// <param name="Model">The classifier.</param>
/// <param name="Embeddings">The training texts' embeddings, in order.</param>
/// <param name="HeldOut">The calibration texts' embeddings and labels, in order.</param>
public sealed record EncoderIntentTraining(EncoderIntentClassifier Model, IReadOnlyList<float[]> Embeddings, IReadOnlyList<(float[] Embedding, string Label)> HeldOut);

/// <summary>
/// Trains <see cref="EncoderIntentClassifier"/>: multinomial logistic regression (softmax, cross-entropy) on sentence
/// embeddings by stochastic gradient descent with per-weight AdaGrad steps, visiting examples in a seeded order, so
/// the same embeddings and options give the same model.
/// </summary>
public static class EncoderIntentTrainer
{
    /// <summary>
    /// Trains on labelled texts as a route receives them: finds the prompt template the training texts share
    /// (<see cref="IntentTemplate"/>, as the n-gram kind does), embeds each text's message (the template stripped) with
    /// <paramref name="encoder"/>, fits the head, and calibrates the threshold on <paramref name="calibration"/>,
    /// embedded the same way. The model carries the template, so serving embeds exactly what training embedded.
    /// </summary>
    public static EncoderIntentTraining Train(
        ISentenceEncoder encoder,
        IReadOnlyList<IntentExample> train,
        IReadOnlyList<IntentExample> calibration,
        EncoderIntentTrainerOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(calibration);
        var (prefix, suffix) = IntentTemplate.Find(train.Select(e => e.Text).ToList());
        var embeddings = Embed(encoder, train.Select(e => PromptTemplate.Message(e.Text, prefix, suffix)), cancellationToken);
        var heldOut = Embed(encoder, calibration.Select(e => PromptTemplate.Message(e.Text, prefix, suffix)), cancellationToken)
            .Select((e, i) => (e, calibration[i].Label))
            .ToList();
        var model = Train(encoder.Name, embeddings, train.Select(e => e.Label).ToList(), heldOut, options, prefix, suffix);
        return new EncoderIntentTraining(model, embeddings, heldOut);
    }

    /// <summary>The embedding <paramref name="model"/> reads for each example (its template stripped), beside the label.</summary>
    public static List<(float[] Embedding, string Label)> Embed(EncoderIntentClassifier model, ISentenceEncoder encoder, IReadOnlyList<IntentExample> examples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        var result = new List<(float[], string)>(examples.Count);
        foreach (var e in examples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var embedding = new float[model.Dimensions];
            model.Embed(e.Text, encoder, embedding);
            result.Add((embedding, e.Label));
        }

        return result;
    }

    /// <summary>
    /// Trains on embeddings and labels, and chooses the threshold on the held-out <paramref name="calibration"/>
    /// embeddings (may be empty: then the threshold is 1).
    /// </summary>
    public static EncoderIntentClassifier Train(
        string encoder,
        IReadOnlyList<float[]> embeddings,
        IReadOnlyList<string> labels,
        IReadOnlyList<(float[] Embedding, string Label)> calibration,
        EncoderIntentTrainerOptions options,
        string prefix = "",
        string suffix = "")
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(options);
        if (embeddings.Count != labels.Count || embeddings.Count == 0)
        {
            throw new ArgumentException("training needs one label per embedding, and at least one", nameof(labels));
        }

        var classes = labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
        {
            throw new ArgumentException("training needs examples of two labels or more", nameof(labels));
        }

        var d = embeddings[0].Length;
        if (embeddings.Any(e => e.Length != d))
        {
            throw new ArgumentException("every embedding must have the same length", nameof(embeddings));
        }

        var k = classes.Length;
        var index = classes.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var weights = new double[(d + 1) * k];
        var squares = new double[weights.Length];
        var z = new double[k];
        var order = Enumerable.Range(0, embeddings.Count).ToArray();
        var random = new Random(options.Seed);
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            random.Shuffle(order);
            foreach (var n in order)
            {
                var x = embeddings[n];
                Logits(weights, x, d, k, z);
                Softmax(z);
                z[index[labels[n]]] -= 1;
                for (var j = 0; j <= d; j++)
                {
                    var value = j < d ? x[j] : 1.0;
                    var penalty = j < d ? options.L2 : 0;
                    var offset = j * k;
                    for (var c = 0; c < k; c++)
                    {
                        var g = (z[c] * value) + (penalty * weights[offset + c]);
                        squares[offset + c] += g * g;
                        weights[offset + c] -= options.LearningRate * g / Math.Sqrt(squares[offset + c] + 1e-8);
                    }
                }
            }
        }

        var w = weights.AsSpan(0, d * k).ToArray().Select(v => (float)v).ToArray();
        var b = weights.AsSpan(d * k, k).ToArray().Select(v => (float)v).ToArray();
        var uncalibrated = new EncoderIntentClassifier(encoder, d, classes, w, b, new IntentCalibration(1, options.TargetAccuracy, double.NaN, 0), prefix, suffix);
        if (calibration.Count == 0)
        {
            return uncalibrated;
        }

        var scored = Score(uncalibrated, calibration);
        return new EncoderIntentClassifier(encoder, d, classes, w, b, IntentMetrics.Calibrate(scored, options.TargetAccuracy), prefix, suffix);
    }

    /// <summary>The model's answer for each embedding, beside the expected label.</summary>
    public static List<ScoredIntent> Score(EncoderIntentClassifier classifier, IReadOnlyList<(float[] Embedding, string Label)> examples)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(examples);
        return examples.Select(e =>
        {
            var p = classifier.Predict(e.Embedding);
            return new ScoredIntent(e.Label, p.Label, p.Confidence);
        }).ToList();
    }

    private static float[][] Embed(ISentenceEncoder encoder, IEnumerable<string> texts, CancellationToken cancellationToken)
    {
        var result = new List<float[]>();
        foreach (var text in texts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var embedding = new float[encoder.Dimensions];
            encoder.Encode(text, embedding);
            result.Add(embedding);
        }

        return [.. result];
    }

    private static void Logits(double[] weights, float[] x, int d, int k, double[] z)
    {
        for (var c = 0; c < k; c++)
        {
            z[c] = weights[(d * k) + c];
        }

        for (var j = 0; j < d; j++)
        {
            var offset = j * k;
            for (var c = 0; c < k; c++)
            {
                z[c] += weights[offset + c] * x[j];
            }
        }
    }

    private static void Softmax(double[] z)
    {
        var max = z.Max();
        double sum = 0;
        for (var c = 0; c < z.Length; c++)
        {
            z[c] = Math.Exp(z[c] - max);
            sum += z[c];
        }

        for (var c = 0; c < z.Length; c++)
        {
            z[c] /= sum;
        }
    }
}
