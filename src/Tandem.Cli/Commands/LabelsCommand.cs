using System.CommandLine;
using System.Globalization;
using Tandem.Classification;
using Tandem.Eval.Classification;
using Tandem.Privacy;

namespace Tandem.Cli.Commands;

/// <summary>
/// The labelling workflow: <c>tandem labels sample</c> exports an anonymised batch of a route's captured requests
/// for raters; <c>tandem labels import</c> reads the raters' files, reports their agreement (Cohen's κ for two,
/// Fleiss' κ for three or more), stores the labels as a new version and writes the agreed ones as training data
/// (exit 0 done, 2 usage or data error).
/// </summary>
internal static class LabelsCommand
{
    public static Command Create() => new("labels", "Human labelling of a route's requests: sample a batch for raters, import their labels.")
    {
        Sample(), Import(),
    };

    private static Option<string> Config() => new("--config", "-c") { Description = "Gateway configuration file (its storage holds the records and labels)", DefaultValueFactory = _ => "tandem.yaml" };

    private static Command Sample()
    {
        var route = new Option<string>("--route") { Description = "The route whose captured requests are sampled", Required = true };
        var n = new Option<int>("--n") { Description = "Items in the batch (default 500)", DefaultValueFactory = _ => 500 };
        var strategy = new Option<string>("--strategy") { Description = "random, uncertainty (the classifier's least sure first) or disagreement (the LLM and the classifier differ)", DefaultValueFactory = _ => "random" };
        strategy.AcceptOnlyFromAmong("random", "uncertainty", "disagreement");
        var classifier = new Option<string?>("--classifier") { Description = "The classifier to score with (default: the route's local.classifier)" };
        var since = new Option<string?>("--since") { Description = "Only requests from this window (30d, 12h) or date (2026-11-01) on" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random strategy (default 42)", DefaultValueFactory = _ => 42 };
        var output = new Option<string>("--out") { Description = "The CSV to write (id,text,label with the label empty): give each rater a copy", Required = true };
        var config = Config();
        var command = new Command("sample", "Export an anonymised batch of a route's captured requests (personal data masked) for raters.")
        {
            route, n, strategy, classifier, since, seed, output, config,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            try
            {
                if (parse.GetValue(n) < 1)
                {
                    throw new ClassifierDataException("--n must be at least 1");
                }

                var from = LabelsStorage.Since(parse.GetValue(since), TimeProvider.System.GetUtcNow());
                var (routeConfig, database) = await LabelsStorage.OpenAsync(parse.GetValue(config)!, parse.GetValue(route)!, cancellationToken).ConfigureAwait(false);
                await using (database.ConfigureAwait(false))
                {
                    var kind = Enum.Parse<SampleStrategy>(parse.GetValue(strategy)!, ignoreCase: true);
                    var classifierPath = parse.GetValue(classifier) ?? routeConfig.Local?.Classifier;
                    IntentScorer? model = null;
                    if (classifierPath is not null)
                    {
                        // Any kind the local stage serves: n-gram, encoder (MiniLM, loaded only for it) or ensemble.
                        model = IntentScorer.Open(classifierPath, static () => Tandem.Routing.Encoder.MiniLmEncoder.Shared);
                    }
                    else if (kind != SampleStrategy.Random)
                    {
                        throw new ClassifierDataException($"the {parse.GetValue(strategy)} strategy scores with a classifier: give --classifier FILE or configure the route's local.classifier");
                    }

                    var exchanges = await LabelsStorage.ExchangesAsync(database, routeConfig.Name, from, cancellationToken).ConfigureAwait(false);
                    var detector = PersonalDataDetector.ForRoute(routeConfig);
                    var items = LabelSampler.Sample(exchanges, kind, parse.GetValue(n), parse.GetValue(seed), model, detector.Mask);
                    var path = parse.GetValue(output)!;
                    await using (var writer = new StreamWriter(path))
                    {
                        LabelSampler.WriteCsv(items, writer);
                    }

                    await parse.InvocationConfiguration.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"wrote {items.Count} items ({parse.GetValue(strategy)}, from {exchanges.Count} captured requests of route {routeConfig.Name}, personal data masked) to {path}")).ConfigureAwait(false);
                    return 0;
                }
            }
            catch (Exception e) when (e is ClassifierDataException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                await error.WriteLineAsync("tandem labels sample: " + e.Message).ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }

    private static Command Import()
    {
        var files = new Argument<string[]>("files") { Description = "The raters' CSV files (id,text,label), one per rater: the rater is the file name", Arity = ArgumentArity.OneOrMore };
        var route = new Option<string>("--route") { Description = "The route the items came from", Required = true };
        var output = new Option<string>("--out") { Description = "The training data to write: a suite CSV (text,label) of the agreed labels, for tandem classifier train --suite", Required = true };
        var config = Config();
        var command = new Command("import", "Import raters' labels: agreement (Cohen's or Fleiss' kappa), a new stored version, and training data of the agreed labels.")
        {
            files, route, output, config,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var console = parse.InvocationConfiguration.Output;
            try
            {
                var paths = parse.GetValue(files)!;
                var result = LabelImport.Read(paths);
                var (routeConfig, database) = await LabelsStorage.OpenAsync(parse.GetValue(config)!, parse.GetValue(route)!, cancellationToken).ConfigureAwait(false);
                LabelSet stored;
                await using (database.ConfigureAwait(false))
                {
                    stored = await database.Labels.AddSetAsync(new LabelSet
                    {
                        Route = routeConfig.Name,
                        Created = TimeProvider.System.GetUtcNow(),
                        Raters = result.Raters.Count,
                        Items = result.Agreed.Count,
                        Kappa = result.Kappa,
                        KappaKind = result.KappaKind,
                        Source = string.Join(", ", paths.Select(Path.GetFileName)),
                    }, result.Labels, result.Agreed, cancellationToken).ConfigureAwait(false);
                }

                var path = parse.GetValue(output)!;
                await using (var writer = new StreamWriter(path))
                {
                    await writer.WriteAsync("text,label\n").ConfigureAwait(false);
                    foreach (var a in result.Agreed)
                    {
                        await writer.WriteAsync($"{LabelSampler.Quote(a.Text)},{LabelSampler.Quote(a.Label)}\n").ConfigureAwait(false);
                    }
                }

                var c = CultureInfo.InvariantCulture;
                var kappa = result.Kappa is double k ? k.ToString("0.000", c) : "undefined (one label only)";
                await console.WriteLineAsync($"{result.Raters.Count.ToString(c)} raters ({string.Join(", ", result.Raters)}), {result.Scored.ToString(c)} items labelled by all: {(result.KappaKind == "cohen" ? "Cohen's" : "Fleiss'")} kappa {kappa}, raw agreement {result.RawAgreement.ToString("P1", c)}").ConfigureAwait(false);
                await console.WriteLineAsync($"label set v{stored.Version.ToString(c)} stored for route {routeConfig.Name}: {result.Agreed.Count.ToString(c)} agreed labels ({result.NoMajority.ToString(c)} items without a majority left out) written to {path}").ConfigureAwait(false);
                return 0;
            }
            catch (Exception e) when (e is ClassifierDataException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                await error.WriteLineAsync("tandem labels import: " + e.Message).ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }
}
