using System.Diagnostics;
using System.Globalization;
using Tandem.Classification;
using Tandem.Eval.Classification;
using Tandem.Routing.Encoder;

namespace Tandem.Cli.Commands;

/// <summary>The <c>--kind encoder</c> paths of <c>tandem classifier train</c> and <c>eval</c>: all-MiniLM-L6-v2 embeddings and a logistic head.</summary>
internal static class EncoderClassifierCommand
{
    public static async Task<int> TrainAsync(TextWriter console, List<IntentExample> data, List<IntentExample> held, IntentTrainerOptions options, string path, string? outOfScope, CancellationToken cancellationToken)
    {
        var encoder = MiniLmEncoder.Shared;
        var c = CultureInfo.InvariantCulture;
        var clock = Stopwatch.StartNew();
        var encoderOptions = new EncoderIntentTrainerOptions { Seed = options.Seed, TargetAccuracy = options.TargetAccuracy };
        var (model, _, heldOut) = EncoderIntentTrainer.Train(encoder, data, held, encoderOptions, cancellationToken);
        await console.WriteLineAsync($"embedded {(data.Count + held.Count).ToString(c)} texts and fitted the head in {clock.Elapsed.TotalSeconds.ToString("0", c)} s").ConfigureAwait(false);
        EncoderIntentModelFile.Save(model, path);
        await console.WriteLineAsync($"encoder classifier {model.Version} written to {path}: {model.Labels.Count.ToString(c)} labels, {model.Encoder} ({model.Dimensions.ToString(c)} dimensions), template {Template(model.Prefix, model.Suffix)}").ConfigureAwait(false);
        await console.WriteLineAsync($"trained on {data.Count.ToString(c)} examples (seed {encoderOptions.Seed.ToString(c)}, {encoderOptions.Epochs.ToString(c)} epochs); calibrated on {held.Count.ToString(c)}").ConfigureAwait(false);
        var report = IntentMetrics.Report(EncoderIntentTrainer.Score(model, heldOut), model.Calibration, outOfScope);
        await ClassifierReportWriter.WriteAsync(console, report, model.Calibration).ConfigureAwait(false);
        return 0;
    }

    public static async Task<int> EvalAsync(TextWriter console, string modelPath, string suitePath, double? threshold, string? outOfScope, CancellationToken cancellationToken)
    {
        var model = EncoderIntentModelFile.Load(modelPath);
        var test = IntentData.FromSuite(suitePath);
        var encoder = MiniLmEncoder.Shared;
        var clock = Stopwatch.StartNew();
        var embedded = EncoderIntentTrainer.Embed(model, encoder, test, cancellationToken);
        var scored = EncoderIntentTrainer.Score(model, embedded);
        var perQuery = clock.Elapsed.TotalMilliseconds / Math.Max(1, test.Count);
        var calibration = threshold is double t ? model.Calibration with { Threshold = t } : model.Calibration;
        var report = IntentMetrics.Report(scored, calibration, outOfScope);
        var c = CultureInfo.InvariantCulture;
        await console.WriteLineAsync($"encoder classifier {model.Version}: {test.Count.ToString(c)} examples from {suitePath}; {perQuery.ToString("0.0", c)} ms per query (encode and classify, batch 1, one thread, wall clock)").ConfigureAwait(false);
        await ClassifierReportWriter.WriteAsync(console, report, calibration).ConfigureAwait(false);
        return 0;
    }

    /// <summary>How a model's template is printed: none, or the prefix and suffix lengths in characters.</summary>
    public static string Template(string prefix, string suffix) =>
        prefix.Length + suffix.Length == 0 ? "none" : $"{prefix.Length.ToString(CultureInfo.InvariantCulture)}+{suffix.Length.ToString(CultureInfo.InvariantCulture)} characters";
}
