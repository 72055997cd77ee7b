using System.Diagnostics;
using System.Globalization;
using Tandem.Classification;
using Tandem.Eval.Classification;
using Tandem.Routing.Encoder;

namespace Tandem.Cli.Commands;

/// <summary>
/// The <c>--kind ensemble</c> paths of <c>tandem classifier train</c> and <c>eval</c>: the n-gram and the encoder
/// kinds trained on the same data, their temperature-scaled probabilities averaged. Both print the report of each
/// part beside the ensemble's.
/// </summary>
internal static class EnsembleClassifierCommand
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static async Task<int> TrainAsync(TextWriter console, List<IntentExample> data, List<IntentExample> held, IntentTrainerOptions options, string path, string? outOfScope, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var encoderOptions = new EncoderIntentTrainerOptions { Seed = options.Seed, TargetAccuracy = options.TargetAccuracy };
        var trained = IntentEnsembleTrainer.Train(MiniLmEncoder.Shared, data, held, options, encoderOptions, cancellationToken);
        var model = trained.Model;
        IntentEnsembleFile.Save(model, path);
        await console.WriteLineAsync($"ensemble classifier {model.Version} written to {path}: {model.Labels.Count.ToString(C)} labels, template {EncoderClassifierCommand.Template(model.Encoder.Prefix, model.Encoder.Suffix)}; trained in {clock.Elapsed.TotalSeconds.ToString("0", C)} s").ConfigureAwait(false);
        await console.WriteLineAsync($"parts: n-gram {model.Ngram.Version} (temperature {model.NgramTemperature.ToString("0.000", C)}), encoder {model.Encoder.Version} on {model.Encoder.Encoder} (temperature {model.EncoderTemperature.ToString("0.000", C)}); weights {(1 - model.EncoderWeight).ToString("0.##", C)} / {model.EncoderWeight.ToString("0.##", C)}").ConfigureAwait(false);
        await console.WriteLineAsync($"trained on {data.Count.ToString(C)} examples (seed {options.Seed.ToString(C)}); temperatures and threshold from {held.Count.ToString(C)} held-out examples").ConfigureAwait(false);
        await WritePartsAsync(console, trained.NgramHeldOut, model.Ngram.Calibration, trained.EncoderHeldOut, model.Encoder.Calibration, outOfScope).ConfigureAwait(false);
        await console.WriteLineAsync("ensemble, held out:").ConfigureAwait(false);
        await ClassifierReportWriter.WriteAsync(console, IntentMetrics.Report(trained.HeldOut, model.Calibration, outOfScope), model.Calibration).ConfigureAwait(false);
        return 0;
    }

    public static async Task<int> EvalAsync(TextWriter console, string modelPath, string suitePath, double? threshold, string? outOfScope, CancellationToken cancellationToken)
    {
        var model = IntentEnsembleFile.Load(modelPath);
        var test = IntentData.FromSuite(suitePath);
        var clock = Stopwatch.StartNew();
        var embedded = EncoderIntentTrainer.Embed(model.Encoder, MiniLmEncoder.Shared, test, cancellationToken);
        var scored = test.Select((e, i) =>
        {
            var p = model.Predict(e.Text, embedded[i].Embedding);
            return new ScoredIntent(e.Label, p.Label, p.Confidence);
        }).ToList();
        var perQuery = clock.Elapsed.TotalMilliseconds / Math.Max(1, test.Count);
        await console.WriteLineAsync($"ensemble classifier {model.Version}: {test.Count.ToString(C)} examples from {suitePath}; {perQuery.ToString("0.0", C)} ms per query (encode and both parts, batch 1, one thread, wall clock)").ConfigureAwait(false);
        await WritePartsAsync(console, IntentMetrics.Predict(model.Ngram, test), model.Ngram.Calibration, EncoderIntentTrainer.Score(model.Encoder, embedded), model.Encoder.Calibration, outOfScope).ConfigureAwait(false);
        var calibration = threshold is double t ? model.Calibration with { Threshold = t } : model.Calibration;
        await console.WriteLineAsync($"ensemble {model.Version}:").ConfigureAwait(false);
        await ClassifierReportWriter.WriteAsync(console, IntentMetrics.Report(scored, calibration, outOfScope), calibration).ConfigureAwait(false);
        return 0;
    }

    private static async Task WritePartsAsync(TextWriter console, IReadOnlyList<ScoredIntent> ngram, IntentCalibration ngramCalibration, IReadOnlyList<ScoredIntent> encoder, IntentCalibration encoderCalibration, string? outOfScope)
    {
        await console.WriteLineAsync("n-gram part alone:").ConfigureAwait(false);
        await ClassifierReportWriter.WriteAsync(console, IntentMetrics.Report(ngram, ngramCalibration, outOfScope), ngramCalibration).ConfigureAwait(false);
        await console.WriteLineAsync("encoder part alone:").ConfigureAwait(false);
        await ClassifierReportWriter.WriteAsync(console, IntentMetrics.Report(encoder, encoderCalibration, outOfScope), encoderCalibration).ConfigureAwait(false);
    }
}
