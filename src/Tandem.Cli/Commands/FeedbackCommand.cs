using System.CommandLine;
using System.Globalization;
using Tandem.Configuration;
using Tandem.Eval.Datasets;
using Tandem.Privacy;
using Tandem.Server.Adapters;
using Tandem.Storage;

namespace Tandem.Cli.Commands;

/// <summary>
/// <c>tandem feedback export</c>: a route's feedback (corrections, high ratings) and judge-preferred shadow answers as
/// fine-tuning files in OpenAI's formats, with a held-out eval suite and a dataset card (exit 0 written, 2 usage error).
/// </summary>
internal static class FeedbackCommand
{
    public static Command Create()
    {
        var route = new Option<string>("--route") { Description = "The route whose traffic is exported", Required = true };
        var format = new Option<string>("--format") { Description = "sft (supervised: messages) or dpo (preference: preferred and non-preferred output)", DefaultValueFactory = _ => "sft" };
        format.AcceptOnlyFromAmong("sft", "dpo");
        var since = new Option<string?>("--since") { Description = "Only feedback from this window (30d, 12h) or date (2026-11-01) on" };
        var minRating = new Option<int>("--min-rating") { Description = "Lowest 1–5 score of a rated or judged answer to learn from (thumbs up is 5, down 1; default 4)", DefaultValueFactory = _ => 4 };
        var split = new Option<double>("--split") { Description = "Share of conversations for training; the rest is validation and the held-out eval suite (default 0.9)", DefaultValueFactory = _ => 0.9 };
        var noScrub = new Option<bool>("--no-scrub") { Description = "Export captured content as stored, without masking personal data (by default emails, phones, cards, IBANs and the route's own patterns become [email], [card]…)" };
        // Scrubbing is the default; --scrub is still accepted so that existing scripts keep working.
        var scrub = new Option<bool>("--scrub") { Description = "Mask personal data (the default)", Hidden = true };
        var task = new Option<string?>("--task") { Description = "classification or generation: how the held-out suite scores (default: classification when every answer is one short line)" };
        task.AcceptOnlyFromAmong("classification", "generation");
        var output = new Option<string>("--out") { Description = "Directory to write train.jsonl, validation.jsonl, eval-suite.jsonl and the dataset card to", Required = true };
        var config = new Option<string>("--config", "-c") { Description = "Gateway configuration file (its storage holds the records and feedback)", DefaultValueFactory = _ => "tandem.yaml" };
        var export = new Command("export", "Export a route's feedback as a fine-tuning dataset (OpenAI JSONL) with a held-out eval suite and a dataset card.")
        {
            route, format, since, minRating, split, noScrub, scrub, task, output, config,
        };
        export.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var now = TimeProvider.System.GetUtcNow();
            if (!TryParseSince(parse.GetValue(since), now, out var from))
            {
                await error.WriteLineAsync($"tandem feedback export: --since '{parse.GetValue(since)}' is not a window (30d, 12h, 90m) or a date (2026-11-01)").ConfigureAwait(false);
                return 2;
            }

            var share = parse.GetValue(split);
            if (!(share is > 0 and < 1) || parse.GetValue(minRating) is < 1 or > 5)
            {
                await error.WriteLineAsync("tandem feedback export: --split must be between 0 and 1 (exclusive), --min-rating from 1 to 5").ConfigureAwait(false);
                return 2;
            }

            if (parse.GetValue(noScrub) && parse.GetValue(scrub))
            {
                await error.WriteLineAsync("tandem feedback export: --scrub and --no-scrub contradict each other").ConfigureAwait(false);
                return 2;
            }

            var configPath = parse.GetValue(config)!;
            TandemConfig gatewayConfig;
            try
            {
                var adapters = await RegisteredAdapters.ReadAsync(configPath, cancellationToken).ConfigureAwait(false);
                gatewayConfig = ConfigLoader.LoadFile(configPath, ConfigUse.Tool, null, c => Tandem.Adapters.AdapterDeployments.Extend(c, adapters));
            }
            catch (ConfigException e)
            {
                await error.WriteLineAsync("tandem feedback export: " + e.Message).ConfigureAwait(false);
                return 2;
            }

            var routeName = parse.GetValue(route)!;
            var routeConfig = gatewayConfig.Routes.FirstOrDefault(r => r.Name == routeName);
            if (routeConfig is null)
            {
                await error.WriteLineAsync($"tandem feedback export: '{routeName}' is not a route of {configPath}").ConfigureAwait(false);
                return 2;
            }

            var options = new DatasetExportOptions
            {
                Route = routeName,
                Format = parse.GetValue(format) == "dpo" ? DatasetFormat.Dpo : DatasetFormat.Sft,
                Since = from,
                MinRating = parse.GetValue(minRating),
                Split = share,
                Scrub = !parse.GetValue(noScrub),
                Task = parse.GetValue(task),
            };
            if (!options.Scrub)
            {
                await error.WriteLineAsync("tandem feedback export: warning: --no-scrub: prompts, answers and corrections leave Tandem unscrubbed (personal data is written as captured)").ConfigureAwait(false);
            }

            DatasetExportResult result;
            var configDirectory = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
            Tandem.Privacy.ContentCipher? cipher;
            try
            {
                cipher = Tandem.Privacy.ContentCipher.Load(gatewayConfig.Privacy.Encryption, configDirectory);
            }
            catch (ConfigException e)
            {
                await error.WriteLineAsync("tandem feedback export: " + e.Message).ConfigureAwait(false);
                return 2;
            }

            var database = StorageFactory.Open(gatewayConfig.Storage, configDirectory, null, cipher);
            await using (database.ConfigureAwait(false))
            {
                try
                {
                    result = await DatasetExport.RunAsync(database, options, routeConfig, parse.GetValue(output)!, now, cancellationToken).ConfigureAwait(false);
                }
                catch (Tandem.Privacy.ContentKeyException e)
                {
                    await error.WriteLineAsync("tandem feedback export: " + e.Message).ConfigureAwait(false);
                    return 2;
                }
                catch (Exception e) when (StorageErrors.IsUnavailable(e))
                {
                    await error.WriteLineAsync($"tandem feedback export: the database at {database.Where} cannot be read: {e.Message}").ConfigureAwait(false);
                    return 2;
                }
            }

            await parse.InvocationConfiguration.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"dataset {result.Id}: {result.Train} train, {result.Validation} validation ({result.SuiteCases} held-out eval cases) in {parse.GetValue(output)}")).ConfigureAwait(false);
            return 0;
        });
        return new Command("feedback", "Work with feedback: export fine-tuning datasets.") { export };
    }

    private static bool TryParseSince(string? text, DateTimeOffset now, out DateTimeOffset since)
    {
        since = DateTimeOffset.MinValue;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            since = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }

        if (CostReportQuery.TryParseSince(text, out var window))
        {
            since = now - window;
            return true;
        }

        return false;
    }
}

/// <summary>The export's steps against a database: collect, scrub, deduplicate, split and write.</summary>
internal static class DatasetExport
{
    public static async Task<DatasetExportResult> RunAsync(StorageDatabase database, DatasetExportOptions options, RouteConfig route, string directory, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var feedback = await database.Feedback.ForRouteAsync(options.Route, options.Since, cancellationToken).ConfigureAwait(false);
        var samples = await database.Migrations.SamplesAsync(options.Route, options.Since, cancellationToken).ConfigureAwait(false);
        var (examples, counts) = await DatasetCollector.CollectAsync(feedback, samples, (id, ct) => database.Records.GetAsync(id, ct), options, cancellationToken).ConfigureAwait(false);
        if (options.Scrub)
        {
            examples = DatasetPreparation.Scrub(examples, PersonalDataDetector.ForRoute(route));
        }

        var (kept, dedup) = DatasetPreparation.Deduplicate(examples, options.NearDuplicate);
        return DatasetWriter.Write(kept, options, counts, dedup, directory, now);
    }
}
