using System.CommandLine;
using System.Globalization;
using Tandem.Eval.Routing;

namespace Tandem.Cli.Commands;

/// <summary>
/// <c>tandem router train</c>: a linear complexity router (hashed word and character n-grams, logistic regression)
/// from prompts and whether the weak model's answer was good enough (and the strong model's, when known), reported on a fixed 20 % held-out split by hash
/// of the prompt (exit 0 written, 2 usage or data error).
/// </summary>
internal static class RouterCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "RouteLLM outcome CSV (prompt,WEAK,STRONG), JSONL {prompt, weak_good[, strong_good]}, or a directory of them" };
        var fromRecords = new Option<bool>("--from-records") { Description = "Train from the gateway's own records instead of --data: a route's shadow pairs (needs --route, and capture: full or redacted on the route)" };
        var route = new Option<string?>("--route") { Description = "With --from-records: the route whose migration's shadow pairs to learn from" };
        var config = new Option<string>("--config", "-c") { Description = "With --from-records: the gateway configuration (its storage holds the records)", DefaultValueFactory = _ => "tandem.yaml" };
        var since = new Option<string?>("--since") { Description = "With --from-records: only shadow pairs from this window on (default 30d)" };
        var minJudge = new Option<double>("--min-judge-score") { Description = "With --from-records: a judged candidate answer is good enough from this 1–5 score (default 4); an agreeing one always is", DefaultValueFactory = _ => 4 };
        var output = new Option<string>("--out") { Description = "The model file to write (serve it with tiers: { scorer: model, model: FILE })", Required = true };
        var exclude = new Option<string?>("--exclude") { Description = "JSONL of prompts to leave out, every string value of each line (RouteLLM's contaminated_prompts.jsonl)" };
        var seed = new Option<int>("--seed") { Description = "Seed of the training order (default 42)", DefaultValueFactory = _ => 42 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training split (default 6)", DefaultValueFactory = _ => 6 };
        var bits = new Option<int>("--bits") { Description = "Hash bits: 2^bits weights (default 18, 1 MB)", DefaultValueFactory = _ => 18 };
        var kind = new Option<string>("--kind") { Description = "linear (hashed word and character n-grams, ~1.5 µs a score) or encoder (all-MiniLM-L6-v2 sentence embeddings with a logistic head, milliseconds a score)", DefaultValueFactory = _ => "linear" };
        kind.AcceptOnlyFromAmong("linear", "encoder");
        var tiers = new Option<string?>("--tiers") { Description = "Tier-labelled data (CSV text,tier or JSONL {text, tier}): the tiers, cheapest first, e.g. simple,medium,complex" };
        var train = new Command("train", "Train a linear router on 80 % of the data (split by hash of the prompt) and report on the held-out 20 %.")
        {
            data, output, exclude, seed, epochs, bits, kind, tiers, fromRecords, route, config, since, minJudge,
        };
        train.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var console = parse.InvocationConfiguration.Output;
            var options = new LinearRouterOptions { Seed = parse.GetValue(seed), Epochs = parse.GetValue(epochs), Bits = parse.GetValue(bits) };
            if (options.Epochs is < 1 or > 100 || options.Bits is < 10 or > 24)
            {
                await error.WriteLineAsync("tandem router train: --epochs must be 1–100 and --bits 10–24").ConfigureAwait(false);
                return 2;
            }

            if (parse.GetValue(fromRecords) == (parse.GetValue(data) is not null))
            {
                await error.WriteLineAsync("tandem router train: give either --data FILE or --from-records --route ROUTE").ConfigureAwait(false);
                return 2;
            }

            if (parse.GetValue(tiers) is { } tierList)
            {
                if (parse.GetValue(fromRecords) || parse.GetValue(kind) != "linear")
                {
                    await error.WriteLineAsync("tandem router train: --tiers trains a linear router from tier-labelled --data (records give outcomes, not tiers)").ConfigureAwait(false);
                    return 2;
                }

                return await TrainTiersAsync(parse.GetValue(data)!, parse.GetValue(output)!, tierList, options, console, error).ConfigureAwait(false);
            }

            List<RouterExample> examples;
            if (parse.GetValue(fromRecords))
            {
                if (parse.GetValue(route) is not { } routeName)
                {
                    await error.WriteLineAsync("tandem router train: --from-records needs --route ROUTE").ConfigureAwait(false);
                    return 2;
                }

                var (read, message) = await RouterRecordsSource.ReadAsync(parse.GetValue(config)!, routeName, parse.GetValue(since), parse.GetValue(minJudge), cancellationToken).ConfigureAwait(false);
                if (read is null)
                {
                    await error.WriteLineAsync($"tandem router train: {message}").ConfigureAwait(false);
                    return 2;
                }

                await console.WriteLineAsync(message).ConfigureAwait(false);
                examples = read;
            }
            else
            {
                try
                {
                    examples = RouterData.Read(parse.GetValue(data)!, parse.GetValue(exclude));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException)
                {
                    await error.WriteLineAsync($"tandem router train: {e.Message}").ConfigureAwait(false);
                    return 2;
                }
            }

            var trainSet = examples.Where(e => !e.HeldOut).ToList();
            var heldOut = examples.Where(e => e.HeldOut).ToList();
            if (trainSet.Count == 0 || heldOut.Count == 0 || trainSet.All(e => e.NeedsStrong) || trainSet.All(e => !e.NeedsStrong))
            {
                await error.WriteLineAsync($"tandem router train: {examples.Count} examples give {trainSet.Count} to train on and {heldOut.Count} held out; both splits must be non-empty and the training split must hold both outcomes").ConfigureAwait(false);
                return 2;
            }

            if (parse.GetValue(kind) == "encoder")
            {
                return await TrainEncoderAsync(trainSet, heldOut, parse.GetValue(output)!, parse.GetValue(seed), console).ConfigureAwait(false);
            }

            var model = LinearRouterTrainer.Train(trainSet, options);
            var path = parse.GetValue(output)!;
            await using (var file = File.Create(path))
            {
                model.Save(file);
            }

            var r = LinearRouterTrainer.Report(model, trainSet.Count, heldOut);
            var c = CultureInfo.InvariantCulture;
            await console.WriteLineAsync($"model {model.Version} written to {path} ({options.Bits.ToString(c)} hash bits, seed {options.Seed.ToString(c)}, {options.Epochs.ToString(c)} epochs)").ConfigureAwait(false);
            await console.WriteLineAsync($"train {r.Train.ToString(c)}, held out {r.HeldOut.ToString(c)} (needs the strong model: {r.HeldOutNeedsStrong.ToString("P1", c)})").ConfigureAwait(false);
            await console.WriteLineAsync($"held out: log loss {r.LogLoss.ToString("0.000", c)}, accuracy {r.Accuracy.ToString("P1", c)}, AUC {r.Auc.ToString("0.000", c)}").ConfigureAwait(false);
            return 0;
        });

        return new Command("router", "Train and evaluate learned complexity routers.") { train, RouterEvalCommand.Create() };
    }

    private static async Task<int> TrainEncoderAsync(List<RouterExample> trainSet, List<RouterExample> heldOut, string path, int seed, TextWriter console)
    {
        var encoder = Tandem.Routing.Encoder.MiniLmEncoder.Shared;
        var options = new EncoderRouterOptions { Seed = seed };
        var head = EncoderRouterTrainer.Train(encoder, trainSet, options);
        await using (var file = File.Create(path))
        {
            head.Save(file);
        }

        var r = EncoderRouterTrainer.Report(head, EncoderRouterTrainer.Embed(encoder, [.. heldOut.Select(e => e.Text)]), trainSet.Count, heldOut);
        var c = CultureInfo.InvariantCulture;
        await console.WriteLineAsync($"model {head.Version} written to {path} (encoder {head.Encoder}, logistic head, seed {seed.ToString(c)}, {options.Epochs.ToString(c)} epochs)").ConfigureAwait(false);
        await console.WriteLineAsync($"train {r.Train.ToString(c)}, held out {r.HeldOut.ToString(c)} (needs the strong model: {r.HeldOutNeedsStrong.ToString("P1", c)})").ConfigureAwait(false);
        await console.WriteLineAsync($"held out: log loss {r.LogLoss.ToString("0.000", c)}, accuracy {r.Accuracy.ToString("P1", c)}, AUC {r.Auc.ToString("0.000", c)}").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> TrainTiersAsync(string data, string path, string tierList, LinearRouterOptions options, TextWriter console, TextWriter error)
    {
        var names = tierList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length < 2 || names.Distinct(StringComparer.Ordinal).Count() != names.Length)
        {
            await error.WriteLineAsync($"tandem router train: --tiers needs two or more distinct names, cheapest first (got '{tierList}')").ConfigureAwait(false);
            return 2;
        }

        List<TierExample> examples;
        try
        {
            examples = TierLabels.Read(data, names);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException)
        {
            await error.WriteLineAsync($"tandem router train: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        var train = examples.Where(e => !e.HeldOut).ToList();
        if (examples.All(e => e.HeldOut) || examples.All(e => !e.HeldOut) || train.Select(e => e.Tier).Distinct().Count() < 2)
        {
            await error.WriteLineAsync($"tandem router train: {examples.Count} labelled prompts give {train.Count} to train on; both splits must be non-empty and the training split must hold two tiers or more").ConfigureAwait(false);
            return 2;
        }

        var (model, report) = TierLabels.Train(examples, names.Length, options);
        await using (var file = File.Create(path))
        {
            model.Save(file);
        }

        var c = CultureInfo.InvariantCulture;
        await console.WriteLineAsync($"model {model.Version} written to {path} ({options.Bits.ToString(c)} hash bits, seed {options.Seed.ToString(c)}, {options.Epochs.ToString(c)} epochs, tiers {string.Join(", ", names)})").ConfigureAwait(false);
        await console.WriteLineAsync($"train {train.Count.ToString(c)}, held out {report.HeldOut.ToString(c)}: tier accuracy {report.Accuracy.ToString("P1", c)}").ConfigureAwait(false);
        await console.WriteLineAsync("held-out labels (rows) against the tiers chosen (columns): " + string.Join(" ", names)).ConfigureAwait(false);
        for (var t = 0; t < names.Length; t++)
        {
            await console.WriteLineAsync($"  {names[t]}: " + string.Join(" ", Enumerable.Range(0, names.Length).Select(j => report.Confusion[t, j].ToString(c)))).ConfigureAwait(false);
        }

        await console.WriteLineAsync("levels (halfway between the tiers' places; replace each name with its deployment):").ConfigureAwait(false);
        await console.WriteLineAsync("  levels: [ " + string.Join(", ", names.Select((n, j) => $"{{ min: {report.Mins[j].ToString("0.####", c)}, deployment: {n} }}")) + " ]").ConfigureAwait(false);
        return 0;
    }
}
