using System.Runtime.InteropServices;
using Tandem.Routing.Learned;

namespace Tandem.Eval.Routing;

/// <summary>Settings of <see cref="LinearRouterTrainer"/>.</summary>
internal sealed record LinearRouterOptions
{
    public int Bits { get; init; } = 18;

    public int Epochs { get; init; } = 6;

    public double LearningRate { get; init; } = 0.2;

    public double L2 { get; init; } = 1e-6;

    public int Seed { get; init; } = 42;
}

/// <summary>What training measured on the held-out split.</summary>
internal sealed record TrainReport(int Train, int HeldOut, double HeldOutNeedsStrong, double LogLoss, double Accuracy, double Auc);

/// <summary>
/// Trains <see cref="LinearRouterModel"/>: L2-regularised logistic regression by stochastic gradient descent with
/// per-weight AdaGrad steps, examples visited in an order shuffled by a seeded generator, so that the same data and
/// seed give the same model, byte for byte. Features are the model's own (<see cref="HashedNgrams"/>), scaled by
/// 1/√n exactly as at inference.
/// </summary>
internal static class LinearRouterTrainer
{
    public static LinearRouterModel Train(IReadOnlyList<RouterExample> examples, LinearRouterOptions options) =>
        Train([.. examples.Select(e => (e.Text, e.NeedsStrong ? 1.0 : 0.0))], options);

    /// <summary>
    /// Trains on targets between 0 and 1: 0 or 1 for outcomes, the tier's place (tier / (tiers − 1)) for tier labels,
    /// where the logistic loss with a fractional target makes the score estimate the expected place.
    /// </summary>
    public static LinearRouterModel Train(IReadOnlyList<(string Text, double Target)> examples, LinearRouterOptions options)
    {
        var size = 1 << options.Bits;
        var mask = (uint)size - 1;
        var features = examples.Select(e => Features(e.Text, mask)).ToArray();
        var weights = new double[size];
        var squares = new double[size];
        double bias = 0, biasSquares = 0;
        var order = Enumerable.Range(0, examples.Count).ToArray();
        var random = new Random(options.Seed);
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            random.Shuffle(order);
            foreach (var i in order)
            {
                var f = features[i];
                var scale = f.Length == 0 ? 0 : 1 / Math.Sqrt(f.Length);
                var z = bias;
                foreach (var j in f)
                {
                    z += weights[j] * scale;
                }

                var gradient = (1 / (1 + Math.Exp(-z))) - examples[i].Target;
                biasSquares += gradient * gradient;
                bias -= options.LearningRate * gradient / Math.Sqrt(biasSquares + 1e-8);
                foreach (var j in f)
                {
                    var g = (gradient * scale) + (options.L2 * weights[j]);
                    squares[j] += g * g;
                    weights[j] -= options.LearningRate * g / Math.Sqrt(squares[j] + 1e-8);
                }
            }
        }

        return new LinearRouterModel(weights.Select(w => (float)w).ToArray(), (float)bias);
    }

    /// <summary>Held-out log loss, accuracy at 0.5 and ROC AUC of the "needs strong" score.</summary>
    public static TrainReport Report(LinearRouterModel model, int train, IReadOnlyList<RouterExample> heldOut)
    {
        var scored = heldOut.Select(e => (Score: model.Score(e.Text), e.NeedsStrong)).ToList();
        var logLoss = scored.Average(s => -Math.Log(Math.Clamp(s.NeedsStrong ? s.Score : 1 - s.Score, 1e-12, 1)));
        var accuracy = scored.Count(s => s.Score >= 0.5 == s.NeedsStrong) / (double)scored.Count;
        return new TrainReport(train, heldOut.Count, scored.Count(s => s.NeedsStrong) / (double)scored.Count, logLoss, accuracy, Auc(scored));
    }

    /// <summary>ROC AUC by the rank-sum formula, ties counted half.</summary>
    internal static double Auc(IReadOnlyList<(double Score, bool Positive)> scored)
    {
        double positives = scored.Count(s => s.Positive), negatives = scored.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        var sorted = scored.OrderBy(s => s.Score).ToList();
        double rankSum = 0;
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j < sorted.Count && sorted[j].Score == sorted[i].Score)
            {
                j++;
            }

            var rank = (i + 1 + j) / 2.0; // average of ranks i+1..j
            rankSum += rank * sorted.Skip(i).Take(j - i).Count(s => s.Positive);
            i = j;
        }

        return (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }

    internal static int[] Features(string text, uint mask)
    {
        var sink = new ListSink(new List<int>(text.Length + 16), mask);
        HashedNgrams.Read(text, ref sink);
        return [.. sink.Indices];
    }

    [StructLayout(LayoutKind.Auto)]
    private struct ListSink(List<int> indices, uint mask) : IFeatureSink
    {
        public readonly List<int> Indices => indices;

        public readonly void Add(uint hash) => indices.Add((int)(hash & mask));
    }
}
