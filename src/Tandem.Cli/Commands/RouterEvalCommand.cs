using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Tandem.Eval.Routing;
using Tandem.Routing;
using Tandem.Routing.Learned;

namespace Tandem.Cli.Commands;

/// <summary>
/// <c>tandem router eval</c>: the quality-versus-strong-share curve, APGR, CPT(50 %) and CPT(80 %) of a trained model
/// beside random routing and the built-in <c>features</c> scorer, on the held-out split (exit 0, 2 usage or data error).
/// </summary>
internal static class RouterEvalCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Outcomes with both models' results: RouteLLM CSV, JSONL with strong_good, or a directory", Required = true };
        var model = new Option<string?>("--model") { Description = "A model written by tandem router train (omitted: random and features only)" };
        var exclude = new Option<string?>("--exclude") { Description = "JSONL of prompts to leave out (RouteLLM's contaminated_prompts.jsonl)" };
        var split = new Option<string>("--split") { Description = "held-out (the 20 % split by hash of the prompt that training leaves out) or all", DefaultValueFactory = _ => "held-out" };
        split.AcceptOnlyFromAmong("held-out", "all");
        var svg = new Option<string?>("--svg") { Description = "Write the curves as an SVG to this file" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random router (default 42)", DefaultValueFactory = _ => 42 };
        var targetShare = new Option<double?>("--target-strong-share") { Description = "Calibrate: the tier min sending at most this share (0–1) to the strong model" };
        var targetQuality = new Option<double?>("--target-quality") { Description = "Calibrate: the tier min with the smallest strong share reaching this fraction (0–1) of the strong model's quality" };
        var tierShares = new Option<string?>("--tier-shares") { Description = "Calibrate three or more tiers: their target shares in %, cheapest first, e.g. 70,25,5" };
        var eval = new Command("eval", "Quality-versus-strong-share curve, APGR and CPT of a router beside random and the features scorer.")
        {
            data, model, exclude, split, svg, seed, targetShare, targetQuality, tierShares,
        };
        eval.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var output = parse.InvocationConfiguration.Output;
            var c = CultureInfo.InvariantCulture;
            List<RouterExample> outcomes;
            RouterModel? trained = null;
            try
            {
                outcomes = RouterData.Read(parse.GetValue(data)!, parse.GetValue(exclude));
                if (parse.GetValue(model) is { } path)
                {
                    trained = RouterModelFile.Load(path, Tandem.Routing.Encoder.MiniLmEncoder.Resolve);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or JsonException)
            {
                await error.WriteLineAsync($"tandem router eval: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            if (parse.GetValue(split) == "held-out")
            {
                outcomes = outcomes.Where(o => o.HeldOut).ToList();
            }

            if (outcomes.Count == 0 || outcomes.Any(o => o.StrongGood is null) || outcomes.Count(o => o.WeakGood) == outcomes.Count(o => o.StrongGood == true))
            {
                await error.WriteLineAsync($"tandem router eval: {outcomes.Count} outcomes; the curve needs at least one, each with the strong model's result, and the two models must differ in quality").ConfigureAwait(false);
                return 2;
            }

            if (!RouterCalibrationReport.TryParse(parse.GetValue(targetShare), parse.GetValue(targetQuality), parse.GetValue(tierShares), out var calibration, out var calibrationError))
            {
                await error.WriteLineAsync($"tandem router eval: {calibrationError}").ConfigureAwait(false);
                return 2;
            }

            var random = new Random(parse.GetValue(seed));
            var features = new FeatureComplexityScorer();
            var routers = new List<(string Name, RouterCurve Curve)>();
            var featureScores = Scores(features, outcomes);
            var calibrated = featureScores;
            if (trained is not null)
            {
                calibrated = Scores(trained.Scorer, outcomes);
                routers.Add(($"model {trained.Version}", RouterCurve.Build(outcomes, calibrated)));
            }

            routers.Add(("features", RouterCurve.Build(outcomes, featureScores)));
            routers.Add(($"random (seed {parse.GetValue(seed).ToString(c)})", RouterCurve.Build(outcomes, [.. outcomes.Select(_ => random.NextDouble())])));

            var first = routers[0].Curve;
            await output.WriteLineAsync($"{outcomes.Count.ToString(c)} outcomes ({parse.GetValue(split)}): weak model {first.WeakQuality.ToString("P1", c)}, strong model {first.StrongQuality.ToString("P1", c)}").ConfigureAwait(false);
            await output.WriteLineAsync($"{"router",-24} {"APGR",6} {"CPT(50%)",9} {"CPT(80%)",9}").ConfigureAwait(false);
            foreach (var (name, curve) in routers)
            {
                await output.WriteLineAsync($"{name,-24} {curve.Apgr.ToString("0.000", c),6} {Share(curve.Cpt(0.5)),9} {Share(curve.Cpt(0.8)),9}").ConfigureAwait(false);
            }

            await output.WriteLineAsync().ConfigureAwait(false);
            await output.WriteLineAsync("quality at a strong share of (the last curve point at or below it):").ConfigureAwait(false);
            await output.WriteLineAsync($"{"share",6} " + string.Join(' ', routers.Select(r => $"{Short(r.Name),16}"))).ConfigureAwait(false);
            for (var tenth = 0; tenth <= 10; tenth++)
            {
                var at = tenth / 10.0;
                var row = routers.Select(r => r.Curve.Points.Last(p => p.StrongShare <= at + 1e-12).Quality.ToString("P1", c));
                await output.WriteLineAsync($"{at.ToString("P0", c),6} " + string.Join(' ', row.Select(q => $"{q,16}"))).ConfigureAwait(false);
            }

            if (trained is not null)
            {
                // Calibration: the tier min that sends a target share to the strong model on this data.
                await output.WriteLineAsync().ConfigureAwait(false);
                await output.WriteLineAsync("tier min of the model for a target strong share (the last curve point at or below it):").ConfigureAwait(false);
                foreach (var target in (double[])[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
                {
                    var p = first.Points.Last(x => x.StrongShare <= target + 1e-12);
                    await output.WriteLineAsync($"{target.ToString("P0", c),6}  min {(double.IsPositiveInfinity(p.Min) ? "above every score" : p.Min.ToString("0.0000", c))} ({p.StrongShare.ToString("P1", c)} strong, quality {p.Quality.ToString("P1", c)})").ConfigureAwait(false);
                }
            }

            await RouterCalibrationReport.WriteAsync(output, calibration, routers[0].Name, routers[0].Curve, calibrated).ConfigureAwait(false);
            if (parse.GetValue(svg) is { } svgPath)
            {
                await File.WriteAllTextAsync(svgPath, RouterCurveSvg.Render(routers), cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"curves written to {svgPath}").ConfigureAwait(false);
            }

            return 0;

            // Each prompt as the gateway sees it (one user message); an encoder model scores on every core.
            static double[] Scores(IComplexityScorer scorer, List<RouterExample> outcomes)
            {
                var scores = new double[outcomes.Count];
                Parallel.For(0, outcomes.Count, i => scores[i] = scorer.Score(RequestView.For(JsonSerializer.Serialize(new EvalChat("router-eval", [new EvalChatMessage("user", outcomes[i].Text)]), RouterEvalJson.Default.EvalChat))));
                return scores;
            }

            string Share(double? share) => share is { } s ? s.ToString("P1", c) : "never";
            static string Short(string name) => name.Length <= 16 ? name : name[..16];
        });
        return eval;
    }
}

internal sealed record EvalChatMessage(string Role, string Content);

internal sealed record EvalChat(string Model, IReadOnlyList<EvalChatMessage> Messages);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(EvalChat))]
internal sealed partial class RouterEvalJson : System.Text.Json.Serialization.JsonSerializerContext;
