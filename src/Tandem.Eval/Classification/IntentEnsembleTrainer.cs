using Tandem.Classification;
using Tandem.Routing.Learned;

namespace Tandem.Eval.Classification;

/// <summary>A trained ensemble and what its parts and it predicted on the held-out data.</summary>
/// <param name="Model">The ensemble.</param>
/// <param name="NgramHeldOut">The n-gram part's held-out predictions.</param>
/// <param name="EncoderHeldOut">The encoder part's held-out predictions.</param>
/// <param name="HeldOut">The ensemble's held-out predictions.</param>
public sealed record IntentEnsembleTraining(IntentEnsemble Model, IReadOnlyList<ScoredIntent> NgramHeldOut, IReadOnlyList<ScoredIntent> EncoderHeldOut, IReadOnlyList<ScoredIntent> HeldOut);

/// <summary>
/// Trains <see cref="IntentEnsemble"/>: both parts on the same data (<see cref="IntentTrainer"/>,
/// <see cref="EncoderIntentTrainer"/>), then on the held-out data a temperature per part (the one minimising its
/// negative log-likelihood, so each part's probabilities mean what they say) and the ensemble's threshold. The parts
/// are weighed equally: a weight fitted to one dataset is what the ensemble should not depend on.
/// </summary>
public static class IntentEnsembleTrainer
{
    /// <summary>The encoder part's weight.</summary>
    public const double EncoderWeight = 0.5;

    /// <summary>Trains both parts on <paramref name="train"/>, and fits temperatures and the threshold on <paramref name="calibration"/>.</summary>
    public static IntentEnsembleTraining Train(
        ISentenceEncoder encoder,
        IReadOnlyList<IntentExample> train,
        IReadOnlyList<IntentExample> calibration,
        IntentTrainerOptions ngramOptions,
        EncoderIntentTrainerOptions encoderOptions,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(ngramOptions);
        var ngram = IntentTrainer.Train(train, calibration, ngramOptions);
        var (encoderModel, _, heldOut) = EncoderIntentTrainer.Train(encoder, train, calibration, encoderOptions, cancellationToken);
        var k = ngram.Labels.Count;
        var fromNgram = new List<double[]>(calibration.Count);
        var fromEncoder = new List<double[]>(calibration.Count);
        for (var i = 0; i < calibration.Count; i++)
        {
            var (pn, pe) = (new double[k], new double[k]);
            ngram.Probabilities(calibration[i].Text, pn);
            encoderModel.Probabilities(heldOut[i].Embedding, pe);
            fromNgram.Add(pn);
            fromEncoder.Add(pe);
        }

        var gold = calibration.Select(e => ngram.IndexOf(e.Label)).ToArray();
        var tn = FitTemperature(fromNgram, gold);
        var te = FitTemperature(fromEncoder, gold);
        var scored = new List<ScoredIntent>(calibration.Count);
        for (var i = 0; i < calibration.Count; i++)
        {
            var (pn, pe) = (fromNgram[i].ToArray(), fromEncoder[i].ToArray());
            IntentEnsemble.Combine(pn, pe, tn, te, EncoderWeight);
            var best = Array.IndexOf(pn, pn.Max());
            scored.Add(new ScoredIntent(calibration[i].Label, ngram.Labels[best], pn[best]));
        }

        var chosen = calibration.Count == 0
            ? new IntentCalibration(1, ngramOptions.TargetAccuracy, double.NaN, 0)
            : IntentMetrics.Calibrate(scored, ngramOptions.TargetAccuracy);
        var model = new IntentEnsemble(ngram, encoderModel, tn, te, EncoderWeight, chosen);
        return new IntentEnsembleTraining(model, IntentMetrics.Predict(ngram, calibration), EncoderIntentTrainer.Score(encoderModel, heldOut), scored);
    }

    /// <summary>
    /// The temperature T minimising the mean negative log-likelihood of the gold labels under
    /// <see cref="IntentEnsemble.Temper"/>ed probabilities; examples whose gold label the model lacks (index −1) are
    /// left out, and with none left T is 1. The likelihood is convex in 1/T, so a golden-section search over 1/T in
    /// [0.05, 20] finds its minimum (to 1e-9).
    /// </summary>
    public static double FitTemperature(IReadOnlyList<double[]> probabilities, IReadOnlyList<int> gold)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(gold);
        var logs = new List<(double[] Logs, int Gold)>();
        for (var i = 0; i < probabilities.Count; i++)
        {
            if (gold[i] >= 0)
            {
                logs.Add(([.. probabilities[i].Select(p => Math.Log(Math.Max(p, double.Epsilon)))], gold[i]));
            }
        }

        if (logs.Count == 0)
        {
            return 1;
        }

        double Loss(double beta)
        {
            double total = 0;
            foreach (var (l, y) in logs)
            {
                var max = l.Max() * beta;
                var sum = l.Sum(x => Math.Exp((x * beta) - max));
                total += max + Math.Log(sum) - (l[y] * beta);
            }

            return total / logs.Count;
        }

        var ratio = (Math.Sqrt(5) - 1) / 2;
        var (a, b) = (0.05, 20.0);
        var c = b - (ratio * (b - a));
        var d = a + (ratio * (b - a));
        var (fc, fd) = (Loss(c), Loss(d));
        while (b - a > 1e-9)
        {
            if (fc <= fd)
            {
                (b, d, fd) = (d, c, fc);
                c = b - (ratio * (b - a));
                fc = Loss(c);
            }
            else
            {
                (a, c, fc) = (c, d, fd);
                d = a + (ratio * (b - a));
                fd = Loss(d);
            }
        }

        return 1 / ((a + b) / 2);
    }
}
