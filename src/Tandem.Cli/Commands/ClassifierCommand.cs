using System.CommandLine;
using System.Globalization;
using Tandem.Classification;
using Tandem.Eval.Classification;
using Tandem.Eval.Suites;

namespace Tandem.Cli.Commands;

/// <summary>
/// <c>tandem classifier train</c> and <c>tandem classifier eval</c>: a distilled intent classifier (multinomial
/// logistic regression over hashed word and character n-grams, over MiniLM sentence embeddings with <c>--kind
/// encoder</c>, or both averaged with <c>--kind ensemble</c>) from a labelled suite or from a classification
/// route's records, its confidence threshold calibrated for a target accuracy, reported as accuracy against coverage
/// (exit 0 done, 2 usage or data error).
/// </summary>
internal static class ClassifierCommand
{

    public static Command Create()
    {
        var suite = new Option<string?>("--suite") { Description = "A labelled suite (JSONL or CSV, as tandem eval reads): the classification cases' last user message and label" };
        var calibrate = new Option<string?>("--calibrate") { Description = "A held-out labelled suite to choose the threshold on (default: 20 % of the training data, split by hash of the text)" };
        var output = new Option<string>("--out") { Description = "The classifier file to write (serve it with a route's local: { classifier: FILE })", Required = true };
        var target = new Option<double>("--target") { Description = "Accuracy the calibrated threshold aims for (default 0.99)", DefaultValueFactory = _ => 0.99 };
        var seed = new Option<int>("--seed") { Description = "Seed of the training order (default 42)", DefaultValueFactory = _ => 42 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training data (default 12)", DefaultValueFactory = _ => 12 };
        var minCount = new Option<int>("--min-count") { Description = "Keep n-grams found in at least this many training texts (default 1)", DefaultValueFactory = _ => 1 };
        var oos = new Option<string?>("--out-of-scope") { Description = "The label meaning 'none of these' (e.g. CLINC150's oos): its recall is reported" };
        var route = new Option<string?>("--route") { Description = "Train from this classification route's records instead: the LLM's answers are the labels (the route must capture content)" };
        var since = new Option<string?>("--since") { Description = "With --route: only requests from this window (30d, 12h) or date (2026-11-01) on" };
        var config = new Option<string>("--config", "-c") { Description = "With --route: the gateway configuration file (its storage holds the records)", DefaultValueFactory = _ => "tandem.yaml" };
        var kind = new Option<string>("--kind") { Description = "ngram (hashed word and character n-grams: microseconds, the default), encoder (all-MiniLM-L6-v2 embeddings and a logistic head: milliseconds, more accurate) or ensemble (both, probabilities averaged)", DefaultValueFactory = _ => "ngram" };
        kind.AcceptOnlyFromAmong("ngram", EncoderIntentModelFile.Kind, IntentEnsembleFile.Kind);
        var train = new Command("train", "Train an intent classifier from a labelled suite or a route's records, and calibrate its confidence threshold.")
        {
            suite, calibrate, output, target, seed, epochs, minCount, oos, route, since, config, kind,
        };
        train.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var console = parse.InvocationConfiguration.Output;
            var options = new IntentTrainerOptions
            {
                Seed = parse.GetValue(seed), Epochs = parse.GetValue(epochs), MinCount = parse.GetValue(minCount), TargetAccuracy = parse.GetValue(target),
            };
            if (options.Epochs is < 1 or > 200 || options.MinCount < 1 || !(options.TargetAccuracy is > 0 and <= 1))
            {
                await error.WriteLineAsync("tandem classifier train: --epochs must be 1–200, --min-count at least 1 and --target above 0 and at most 1").ConfigureAwait(false);
                return 2;
            }

            if ((parse.GetValue(suite) is null) == (parse.GetValue(route) is null))
            {
                await error.WriteLineAsync("tandem classifier train: give either --suite FILE or --route NAME (the route's records)").ConfigureAwait(false);
                return 2;
            }

            List<IntentExample> data, held;
            string from;
            try
            {
                if (parse.GetValue(suite) is { } suitePath)
                {
                    data = IntentData.FromSuite(suitePath);
                    from = suitePath;
                }
                else
                {
                    var (routeConfig, database) = await LabelsStorage.OpenAsync(parse.GetValue(config)!, parse.GetValue(route)!, cancellationToken).ConfigureAwait(false);
                    await using (database.ConfigureAwait(false))
                    {
                        var window = LabelsStorage.Since(parse.GetValue(since), TimeProvider.System.GetUtcNow());
                        var exchanges = await LabelsStorage.ExchangesAsync(database, routeConfig.Name, window, cancellationToken).ConfigureAwait(false);
                        data = IntentData.FromExchanges(exchanges);
                        from = $"{data.Count.ToString(CultureInfo.InvariantCulture)} of {exchanges.Count.ToString(CultureInfo.InvariantCulture)} captured requests of route {routeConfig.Name} answered by the LLM";
                    }
                }

                if (parse.GetValue(calibrate) is { } calibration)
                {
                    held = IntentData.FromSuite(calibration);
                }
                else
                {
                    (data, held) = IntentTrainer.Split(data);
                }
            }
            catch (Exception e) when (e is SuiteException or ClassifierDataException)
            {
                await error.WriteLineAsync($"tandem classifier train: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            if (data.Select(e => e.Label).Distinct(StringComparer.Ordinal).Count() < 2 || held.Count == 0)
            {
                await error.WriteLineAsync($"tandem classifier train: {data.Count} examples to train on and {held.Count} to calibrate on; training needs two labels or more and calibration at least one example").ConfigureAwait(false);
                return 2;
            }

            var path = parse.GetValue(output)!;
            switch (parse.GetValue(kind))
            {
                case EncoderIntentModelFile.Kind:
                    return await EncoderClassifierCommand.TrainAsync(console, data, held, options, path, parse.GetValue(oos), cancellationToken).ConfigureAwait(false);
                case IntentEnsembleFile.Kind:
                    return await EnsembleClassifierCommand.TrainAsync(console, data, held, options, path, parse.GetValue(oos), cancellationToken).ConfigureAwait(false);
            }

            var model = IntentTrainer.Train(data, held, options);
            IntentModelFile.Save(model, path);
            var c = CultureInfo.InvariantCulture;
            await console.WriteLineAsync($"classifier {model.Version} written to {path}: {model.Labels.Count.ToString(c)} labels, {model.Features.Count.ToString(c)} n-grams, template {(model.Prefix.Length + model.Suffix.Length == 0 ? "none" : $"{model.Prefix.Length.ToString(c)}+{model.Suffix.Length.ToString(c)} characters")}").ConfigureAwait(false);
            await console.WriteLineAsync($"trained on {data.Count.ToString(c)} examples from {from} (seed {options.Seed.ToString(c)}, {options.Epochs.ToString(c)} epochs); calibrated on {held.Count.ToString(c)}").ConfigureAwait(false);
            var report = IntentMetrics.Report(IntentMetrics.Predict(model, held), model.Calibration, parse.GetValue(oos));
            await ClassifierReportWriter.WriteAsync(console, report, model.Calibration).ConfigureAwait(false);
            return 0;
        });

        var model = new Option<string>("--model") { Description = "The classifier file", Required = true };
        var testSuite = new Option<string>("--suite") { Description = "A labelled suite to measure on", Required = true };
        var threshold = new Option<double?>("--threshold") { Description = "Measure at this threshold instead of the calibrated one" };
        var evalOos = new Option<string?>("--out-of-scope") { Description = "The label meaning 'none of these': its recall is reported" };
        var eval = new Command("eval", "Measure a classifier on a labelled suite: accuracy at full coverage, accuracy against coverage, out-of-scope recall.")
        {
            model, testSuite, threshold, evalOos,
        };
        eval.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            IntentClassifier classifier;
            List<IntentExample> test;
            try
            {
                if (IntentEnsembleFile.IsEnsembleModel(parse.GetValue(model)!))
                {
                    return await EnsembleClassifierCommand.EvalAsync(parse.InvocationConfiguration.Output, parse.GetValue(model)!, parse.GetValue(testSuite)!, parse.GetValue(threshold), parse.GetValue(evalOos), cancellationToken).ConfigureAwait(false);
                }

                if (EncoderIntentModelFile.IsEncoderModel(parse.GetValue(model)!))
                {
                    return await EncoderClassifierCommand.EvalAsync(parse.InvocationConfiguration.Output, parse.GetValue(model)!, parse.GetValue(testSuite)!, parse.GetValue(threshold), parse.GetValue(evalOos), cancellationToken).ConfigureAwait(false);
                }

                classifier = IntentModelFile.Load(parse.GetValue(model)!);
                test = IntentData.FromSuite(parse.GetValue(testSuite)!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or SuiteException)
            {
                await error.WriteLineAsync($"tandem classifier eval: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            var calibration = parse.GetValue(threshold) is double t ? classifier.Calibration with { Threshold = t } : classifier.Calibration;
            var report = IntentMetrics.Report(IntentMetrics.Predict(classifier, test), calibration, parse.GetValue(evalOos));
            var console = parse.InvocationConfiguration.Output;
            await console.WriteLineAsync($"classifier {classifier.Version}: {test.Count.ToString(CultureInfo.InvariantCulture)} examples from {parse.GetValue(testSuite)}").ConfigureAwait(false);
            await ClassifierReportWriter.WriteAsync(console, report, calibration).ConfigureAwait(false);
            return 0;
        });

        return new Command("classifier", "Distil a classification route into a local intent classifier: train, measure.") { train, eval };
    }
}
