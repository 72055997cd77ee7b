using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Tandem.Configuration;
using Tandem.Eval.Import;
using Tandem.Eval.Metrics;
using Tandem.Eval.Reports;
using Tandem.Eval.Running;
using Tandem.Eval.Suites;
using Tandem.Runtime;

namespace Tandem.Cli.Commands;

/// <summary>
/// <c>tandem eval</c>: runs a suite against deployments of the gateway configuration and gates on the verdict
/// (exit 0 pass, 1 verdict failed, 2 usage or configuration error); <c>tandem eval import</c> builds suites.
/// </summary>
/// <remarks>
/// Values are read as text and parsed here (arity zero-or-one), so that a malformed value exits with 2 like any
/// other usage error instead of System.CommandLine's parse-error code 1, which a CI gate would read as "failed".
/// </remarks>
internal static class EvalCommand
{
    public const int Pass = 0;
    public const int VerdictFailed = 1;
    public const int UsageError = 2;

    public static Command Create()
    {
        var suite = Text("--suite", "Suite file: JSONL (optional suite header, one case per line) or CSV");
        var deployments = Text("--deployments", "Comma-separated deployments to evaluate, as named in the configuration");
        var baseline = Text("--baseline", "Deployment the others are compared with (one of --deployments)");
        var concurrency = Text("--concurrency", "Calls in flight at once (default 8)");
        var limit = Text("--limit", "Run a sample of N cases, stratified by label (seeded by --seed)");
        var output = Text("--out", "Results directory: results.jsonl (resumable), report.json, report.html (default ./eval-out)");
        var config = Text("--config", "Gateway configuration file (default ./tandem.yaml)");
        config.Aliases.Add("-c");
        var judge = Text("--judge", "Judge deployment for generation cases (reference or rubric)");
        var rubric = Text("--rubric", "Rubric for generation cases without one (text, or @file)");
        var pairwise = new Option<bool>("--pairwise") { Description = "Also compare each candidate's answers with the baseline's, judged in both orders" };
        var template = Text("--template", "Prompt template with {text} for text cases (text, or @file); overrides the suite header's");
        var maxDrop = Text("--max-accuracy-drop", "Fail when a candidate's accuracy is more than this below the baseline's: 2% (or 2pt), or a fraction such as 0.02");
        var maxScoreDrop = Text("--max-score-drop", "Fail when a candidate's mean judge score is more than this below the baseline's (1–5 scale)");
        var maxCost = Text("--max-cost", "Fail when a candidate costs more than this per 1,000 cases (needs a price in the configuration)");
        var maxP95 = Text("--max-p95", "Fail when a candidate's p95 latency exceeds this, with its unit: 800ms or 2s");
        var seed = Text("--seed", "Seed of the paired bootstrap and of the --limit sample (default 42)");
        var retries = Text("--retries", "Retries per call on 429, 5xx, timeouts (default 4; Retry-After is honoured)");
        var temperature = Text("--temperature", "Sampling temperature sent with each case (default 0)");
        var fresh = new Option<bool>("--fresh") { Description = "Discard earlier results in --out instead of resuming" };
        var noJsonMode = new Option<bool>("--no-judge-json-mode") { Description = "Do not send response_format json_object to the judge" };
        var noProgress = new Option<bool>("--no-progress") { Description = "No progress bar" };
        var command = new Command("eval", "Evaluate deployments on a test suite: accuracy, judge scores, latency, tokens, cost, and a verdict against the baseline.")
        {
            suite, deployments, baseline, concurrency, limit, output, config, judge, rubric, pairwise, template,
            maxDrop, maxScoreDrop, maxCost, maxP95, seed, retries, temperature, fresh, noJsonMode, noProgress,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.Subcommands.Add(CreateImport());
        command.SetAction(async (parse, cancellationToken) =>
        {
            var console = ConsoleFor(parse);
            if (parse.UnmatchedTokens.Count > 0)
            {
                return Usage(console, "unknown argument(s): " + string.Join(' ', parse.UnmatchedTokens));
            }

            EvalRunOptions options;
            VerdictThresholds thresholds;
            int seedValue;
            string suitePath;
            string? templateText;
            try
            {
                suitePath = parse.GetValue(suite) ?? throw new FormatException("--suite FILE is required");
                var names = (parse.GetValue(deployments) ?? throw new FormatException("--deployments a,b is required"))
                    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                seedValue = Int(parse.GetValue(seed), "--seed") ?? 42;
                templateText = FileOrText(parse.GetValue(template));
                options = new EvalRunOptions
                {
                    Deployments = names,
                    Baseline = parse.GetValue(baseline),
                    Concurrency = Int(parse.GetValue(concurrency), "--concurrency") ?? 8,
                    Limit = Int(parse.GetValue(limit), "--limit"),
                    Seed = seedValue,
                    OutputDirectory = parse.GetValue(output) ?? "eval-out",
                    Judge = parse.GetValue(judge),
                    Rubric = FileOrText(parse.GetValue(rubric)),
                    Pairwise = parse.GetValue(pairwise),
                    JudgeJsonMode = !parse.GetValue(noJsonMode),
                    MaxRetries = Int(parse.GetValue(retries), "--retries") ?? 4,
                    Temperature = Double(parse.GetValue(temperature), "--temperature") ?? 0,
                    Fresh = parse.GetValue(fresh),
                };
                thresholds = new VerdictThresholds
                {
                    MaxAccuracyDrop = parse.GetValue(maxDrop) is { } drop
                        ? ThresholdParser.TryParseAccuracyDrop(drop, "--max-accuracy-drop", out var fraction, out var dropError) ? fraction : throw new FormatException(dropError)
                        : null,
                    MaxScoreDrop = Double(parse.GetValue(maxScoreDrop), "--max-score-drop"),
                    MaxCostPer1kCases = parse.GetValue(maxCost) is { } c
                        ? decimal.TryParse(c, NumberStyles.Number, CultureInfo.InvariantCulture, out var cost) && cost >= 0 ? cost : throw new FormatException($"--max-cost: '{c}' is not a non-negative number")
                        : null,
                    MaxP95 = parse.GetValue(maxP95) is { } p
                        ? ThresholdParser.TryParseLatency(p, "--max-p95", out var latency, out var latencyError) ? latency : throw new FormatException(latencyError)
                        : null,
                };
                if ((thresholds.MaxAccuracyDrop is not null || thresholds.MaxScoreDrop is not null) && options.Baseline is null)
                {
                    throw new FormatException("--max-accuracy-drop and --max-score-drop compare with a baseline: pass --baseline");
                }
            }
            catch (Exception e) when (e is FormatException or IOException)
            {
                return Usage(console, e.Message);
            }

            TandemConfig gatewayConfig;
            try
            {
                // Registered LoRA adapters are deployments too (BASE+ADAPTER): read them from the gateway's database.
                var configPath = parse.GetValue(config) ?? "tandem.yaml";
                var adapters = await Tandem.Server.Adapters.RegisteredAdapters.ReadAsync(configPath, cancellationToken).ConfigureAwait(false);
                gatewayConfig = ConfigLoader.LoadFile(configPath, ConfigUse.Tool, null, c => Tandem.Adapters.AdapterDeployments.Extend(c, adapters));
            }
            catch (ConfigException e)
            {
                return Usage(console, e.Message);
            }

            EvalSuite loaded;
            try
            {
                loaded = SuiteLoader.Load(suitePath, templateText);
            }
            catch (SuiteException e)
            {
                return Usage(console, e.Message);
            }

            var snapshot = GatewaySnapshot.Build(gatewayConfig, null);
            try
            {
                var runner = new EvalRunner(snapshot, options);
                EvalRunResult run;
                try
                {
                    run = parse.GetValue(noProgress) || !console.Profile.Capabilities.Interactive
                        ? await runner.RunAsync(loaded, null, cancellationToken).ConfigureAwait(false)
                        : await RunWithProgressAsync(console, runner, loaded, cancellationToken).ConfigureAwait(false);
                }
                catch (EvalUsageException e)
                {
                    return Usage(console, e.Message);
                }
                catch (OperationCanceledException)
                {
                    console.MarkupLine("[yellow]cancelled; finished results are saved — run the same command again to resume[/]");
                    return 130;
                }

                if (run.Resumed > 0)
                {
                    console.MarkupLine($"[grey]resumed {run.Resumed} stored results from {Markup.Escape(ResultStorePath(options.OutputDirectory))}; ran {run.Ran}[/]");
                }

                var report = ReportBuilder.Build(run, options.Deployments, options.Baseline, options.Judge, snapshot.Deployments.ToDictionary(kv => kv.Key, kv => kv.Value.Config), thresholds, seedValue);
                ConsoleReport.Write(console, report);
                await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "report.json"), JsonReport.Render(report), cancellationToken).ConfigureAwait(false);
                await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "report.html"), HtmlReport.Render(report), cancellationToken).ConfigureAwait(false);
                console.MarkupLine($"reports: [link]{Markup.Escape(Path.Combine(options.OutputDirectory, "report.html"))}[/], {Markup.Escape(Path.Combine(options.OutputDirectory, "report.json"))}");
                return report.Verdict.Passed ? Pass : VerdictFailed;
            }
            finally
            {
                foreach (var p in snapshot.Providers.Values)
                {
                    p.Dispose();
                }
            }
        });
        return command;
    }

    private static Command CreateImport()
    {
        var dataset = new Argument<string>("dataset") { Description = "clinc150 or banking77" };
        var split = Text("--split", "Split: test (default), val (CLINC150), train");
        var limit = Text("--limit", "Keep N cases of a seeded shuffle (the files are grouped by intent)");
        var output = Text("--out", "Suite file to write (default DATASET-SPLIT.jsonl)");
        var data = Text("--data", "Datasets directory holding clinc150/ and banking77/ (default: $" + DataDirVariable + ")");
        var seed = Text("--seed", "Shuffle seed (default 42)");
        var oos = new Option<bool>("--include-oos") { Description = "CLINC150: add the split's out-of-scope queries with label 'oos'" };
        var answers = Text("--answers-out", "Also write a simulator answers file (tandem simulate --answers) for the cases");
        var command = new Command("import", "Build an intent-recognition suite from CLINC150 or BANKING77 (label set in the prompt).") { dataset, split, limit, output, data, seed, oos, answers };
        command.SetAction(parse =>
        {
            var console = ConsoleFor(parse);
            var name = parse.GetValue(dataset)!.ToLowerInvariant();
            try
            {
                var s = parse.GetValue(split) ?? "test";
                var dir = DatasetsDirectory(parse.GetValue(data))
                    ?? throw new FormatException($"no datasets directory: pass --data DIR or set {DataDirVariable}. {WhereToGet(name)}");
                var n = Int(parse.GetValue(limit), "--limit");
                var seedValue = Int(parse.GetValue(seed), "--seed") ?? 42;
                var imported = name switch
                {
                    "clinc150" => DatasetImporter.Clinc150(dir, s, n, seedValue, parse.GetValue(oos)),
                    "banking77" => DatasetImporter.Banking77(dir, s, n, seedValue),
                    _ => throw new FormatException($"unknown dataset '{name}' (expected clinc150 or banking77)"),
                };
                var path = parse.GetValue(output) ?? imported.Name + ".jsonl";
                DatasetImporter.WriteSuite(imported, path);
                console.MarkupLine($"wrote {imported.Rows.Count} cases, {imported.Labels.Count} labels to {Markup.Escape(path)} [grey]({Markup.Escape(imported.Source)})[/]");
                if (parse.GetValue(answers) is { } answersPath)
                {
                    DatasetImporter.WriteSimulatorAnswers(imported, answersPath);
                    console.MarkupLine($"wrote simulator answers to {Markup.Escape(answersPath)}");
                }

                return Pass;
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return Usage(console, e.Message + " " + WhereToGet(name));
            }
            catch (Exception e) when (e is FormatException or IOException or ArgumentException or UnauthorizedAccessException or System.Text.Json.JsonException)
            {
                return Usage(console, e.Message);
            }
        });
        return command;
    }

    private static async Task<EvalRunResult> RunWithProgressAsync(IAnsiConsole console, EvalRunner runner, EvalSuite suite, CancellationToken cancellationToken)
    {
        EvalRunResult? result = null;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(suite.Name));
                var progress = new Progress<EvalProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                    task.Description = p.Failed > 0 ? $"{Markup.Escape(suite.Name)} [red]{p.Failed} failed[/]" : Markup.Escape(suite.Name);
                });
                result = await runner.RunAsync(suite, progress, cancellationToken).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return result!;
    }

    private static IAnsiConsole ConsoleFor(ParseResult parse)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(parse.InvocationConfiguration.Output) });
        if (!console.Profile.Capabilities.Interactive && console.Profile.Width < 160)
        {
            // CI logs and files have no width; wrapping tables at 80 columns would make them unreadable.
            console.Profile.Width = 160;
        }

        return console;
    }

    private static int Usage(IAnsiConsole console, string message)
    {
        console.MarkupLine("[red]tandem eval:[/] " + Markup.Escape(message));
        return UsageError;
    }

    private static string ResultStorePath(string dir) => Path.Combine(dir, "results.jsonl");

    private static Option<string?> Text(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.ZeroOrOne };

    private static string? FileOrText(string? value) =>
        value is not null && value.StartsWith('@') ? File.ReadAllText(value[1..]) : value;

    private static int? Int(string? value, string name) =>
        value is null ? null
        : int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v
        : throw new FormatException($"{name}: '{value}' is not a non-negative whole number");

    private static double? Double(string? value, string name) =>
        value is null ? null
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && double.IsFinite(v) ? v
        : throw new FormatException($"{name}: '{value}' is not a non-negative number");

    /// <summary>The environment variable naming the datasets directory when <c>--data</c> is not given.</summary>
    internal const string DataDirVariable = "TANDEM_DATA_DIR";

    /// <summary>
    /// <c>--data</c>, else <c>$TANDEM_DATA_DIR</c>, else null. The datasets are not shipped with Tandem (their licences
    /// ask for attribution and they are megabytes), so there is no default location.
    /// </summary>
    private static string? DatasetsDirectory(string? option) =>
        option ?? (Environment.GetEnvironmentVariable(DataDirVariable) is { Length: > 0 } env ? env : null);

    private static string WhereToGet(string dataset) => dataset switch
    {
        "clinc150" => "CLINC150 (CC BY 3.0): put data_full.json from https://github.com/clinc/oos-eval (folder data/) in DIR/clinc150/.",
        "banking77" => "BANKING77 (CC BY 4.0): put train.csv and test.csv from https://github.com/PolyAI-LDN/task-specific-datasets (folder banking_data/) in DIR/banking77/.",
        _ => "The datasets directory holds clinc150/data_full.json and banking77/{train,test}.csv.",
    };
}
