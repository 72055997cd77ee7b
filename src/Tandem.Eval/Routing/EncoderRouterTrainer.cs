using Tandem.Routing.Learned;

namespace Tandem.Eval.Routing;

/// <summary>Settings of <see cref="EncoderRouterTrainer"/>.</summary>
internal sealed record EncoderRouterOptions
{
    public int Epochs { get; init; } = 20;

    public double LearningRate { get; init; } = 0.1;

    public double L2 { get; init; } = 1e-4;

    public int Seed { get; init; } = 42;
}

/// <summary>
/// Trains the head of an encoder router (<see cref="EncoderRouterModel"/>): the texts are embedded once by the sentence
/// encoder, then an L2-regularised logistic regression over the embedding is fitted by stochastic gradient descent
/// with per-weight AdaGrad steps in a seeded order, as <see cref="LinearRouterTrainer"/> does, so that the same data,
/// encoder and seed give the same head, byte for byte.
/// </summary>
internal static class EncoderRouterTrainer
{
    public static EncoderRouterModel Train(ISentenceEncoder encoder, IReadOnlyList<RouterExample> examples, EncoderRouterOptions options) =>
        Train(encoder.Name, Embed(encoder, [.. examples.Select(e => e.Text)]), [.. examples.Select(e => e.NeedsStrong ? 1.0 : 0.0)], options);

    /// <summary>Fits the head on embeddings (one row per example) and 0–1 targets.</summary>
    public static EncoderRouterModel Train(string encoder, float[][] embeddings, double[] targets, EncoderRouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(targets);
        if (embeddings.Length == 0 || embeddings.Length != targets.Length)
        {
            throw new ArgumentException("one target per embedding, and at least one", nameof(targets));
        }

        var dims = embeddings[0].Length;
        var weights = new double[dims];
        var squares = new double[dims];
        double bias = 0, biasSquares = 0;
        var order = Enumerable.Range(0, embeddings.Length).ToArray();
        var random = new Random(options.Seed);
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            random.Shuffle(order);
            foreach (var i in order)
            {
                var x = embeddings[i];
                var z = bias;
                for (var d = 0; d < dims; d++)
                {
                    z += weights[d] * x[d];
                }

                var gradient = (1 / (1 + Math.Exp(-z))) - targets[i];
                biasSquares += gradient * gradient;
                bias -= options.LearningRate * gradient / Math.Sqrt(biasSquares + 1e-8);
                for (var d = 0; d < dims; d++)
                {
                    var g = (gradient * x[d]) + (options.L2 * weights[d]);
                    squares[d] += g * g;
                    weights[d] -= options.LearningRate * g / Math.Sqrt(squares[d] + 1e-8);
                }
            }
        }

        return new EncoderRouterModel(encoder, [.. weights.Select(w => (float)w)], (float)bias);
    }

    /// <summary>Embeds texts on every core (the encoder is thread-safe); row i is text i's embedding.</summary>
    public static float[][] Embed(ISentenceEncoder encoder, IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var rows = new float[texts.Count][];
        Parallel.For(0, texts.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var row = new float[encoder.Dimensions];
            encoder.Encode(texts[i], row);
            rows[i] = row;
        });
        return rows;
    }

    /// <summary>Held-out log loss, accuracy at 0.5 and ROC AUC, as <see cref="LinearRouterTrainer.Report"/> reports them.</summary>
    public static TrainReport Report(EncoderRouterModel head, float[][] heldOutEmbeddings, int train, IReadOnlyList<RouterExample> heldOut)
    {
        var scored = heldOut.Select((e, i) => (Score: head.Score(heldOutEmbeddings[i]), e.NeedsStrong)).ToList();
        var logLoss = scored.Average(s => -Math.Log(Math.Clamp(s.NeedsStrong ? s.Score : 1 - s.Score, 1e-12, 1)));
        var accuracy = scored.Count(s => s.Score >= 0.5 == s.NeedsStrong) / (double)scored.Count;
        return new TrainReport(train, heldOut.Count, scored.Count(s => s.NeedsStrong) / (double)scored.Count, logLoss, accuracy, LinearRouterTrainer.Auc(scored));
    }
}
