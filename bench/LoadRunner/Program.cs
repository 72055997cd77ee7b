using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Tandem.LoadRunner;

// End-to-end overhead benchmark. Normally started by bench/run.sh, which builds and installs what it needs.
//   LoadRunner --repo DIR --out DIR [--smoke | --soak] [--targets direct,tandem,tandem-router,nginx,yarp,portkey] [--soak-minutes 10]
var options = BenchOptions.Parse(args);
if (options.ReportOnly)
{
    // Re-writes results.md and chart.svg from an earlier run's results.json (e.g. after a report change).
    Report.Rewrite(options);
    return 0;
}

Directory.CreateDirectory(options.Out);
var logs = Path.Combine(options.Out, "logs");
Directory.CreateDirectory(logs);
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

const int Sim0Port = 19100, Sim20Port = 19120, SimStreamPort = 19140, TandemPort = 19200, BaselinePort = 19210, RouterPort = 19220, VariantPort = 19230, NginxPort = 19300, YarpPort = 19400, PortkeyPort = 19787;
foreach (var port in new[] { Sim0Port, Sim20Port, SimStreamPort, TandemPort, BaselinePort, RouterPort, VariantPort, NginxPort, YarpPort, PortkeyPort })
{
    if (!ChildProcess.PortIsFree(port))
    {
        Console.Error.WriteLine($"bench: port {port} on 127.0.0.1 is already in use; stop whatever listens there and retry.");
        return 2;
    }
}

var tandemExe = Path.Combine(options.Repo, "src/Tandem.Cli/bin/Release/net10.0/tandem");
var yarpExe = Path.Combine(options.Repo, "bench/YarpHop/bin/Release/net10.0/YarpHop");
var portkeyJs = Path.Combine(options.Repo, "bench/peer/node_modules/@portkey-ai/gateway/build/start-server.js");
var nginxExe = FindOnPath("nginx") ?? (File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : null);
var nodeExe = FindOnPath("node");
var wrkExe = Wrk.Find();
var wrkScript = Path.Combine(options.Repo, "bench/wrk/post.lua");
if (!File.Exists(tandemExe))
{
    Console.Error.WriteLine($"bench: {tandemExe} not found; build src/Tandem.Cli in Release first (bench/run.sh does).");
    return 2;
}

var machine = Machine.Describe(options, nginxExe, wrkExe, nodeExe, portkeyJs);
Console.WriteLine($"bench: {machine.Cpu}, {machine.Cores} cores, load average {machine.LoadAverageStart}");

// Upstreams: the Tandem simulator, ~1 KB chat completion (110 generated tokens), streams in 5-token chunks.
var simArgs = new[] { "--output-tokens", "110", "--chunk-tokens", "5", "--seed", "7", "--label" };
await using var sim0 = ChildProcess.Start("simulator 0 ms", tandemExe, ["simulate", "--urls", $"http://127.0.0.1:{Sim0Port}", .. simArgs, "bench-0ms"], Path.Combine(logs, "sim0.log"));
await using var sim20 = ChildProcess.Start("simulator 20 ms", tandemExe, ["simulate", "--urls", $"http://127.0.0.1:{Sim20Port}", "--latency", "20ms", .. simArgs, "bench-20ms"], Path.Combine(logs, "sim20.log"));
await using var simStream = ChildProcess.Start("simulator paced stream", tandemExe, ["simulate", "--urls", $"http://127.0.0.1:{SimStreamPort}", "--tps", "2000", .. simArgs, "bench-stream"], Path.Combine(logs, "simstream.log"));
await sim0.WaitForPortAsync(Sim0Port, TimeSpan.FromSeconds(30));
await simStream.WaitForPortAsync(SimStreamPort, TimeSpan.FromSeconds(30));
await sim20.WaitForPortAsync(Sim20Port, TimeSpan.FromSeconds(30));

var key = "sk-bench-" + Guid.NewGuid().ToString("N")[..16];
var auth = new KeyValuePair<string, string>("Authorization", "Bearer " + key);
string SimUrl(Scenario s) => $"http://127.0.0.1:{s.Upstream switch { Upstream.Fast => Sim0Port, Upstream.Slow20 => Sim20Port, _ => SimStreamPort }}";
string Prefix(Scenario s) => s.Upstream switch { Upstream.Fast => "", Upstream.Slow20 => "/u20", _ => "/us" };
RequestSpec Spec(string url, string model, Scenario s, params KeyValuePair<string, string>[] extra) =>
    new(new Uri(url), RequestBody(model, s.Stream), [auth, .. extra], s.Stream);

var tandemConfig = Path.Combine(options.Out, "tandem-bench.yaml");
File.WriteAllText(tandemConfig, TandemConfig(TandemPort));
// In its own folder: records go to a database beside the configuration, and the baseline may have an older schema.
var baselineConfig = Path.Combine(options.Out, "baseline", "tandem-bench.yaml");
var baselineExe = options.Baseline is null ? null : Path.Combine(options.Baseline, "src/Tandem.Cli/bin/Release/net10.0/tandem");
if (baselineExe is not null)
{
    Directory.CreateDirectory(Path.GetDirectoryName(baselineConfig)!);
    File.WriteAllText(baselineConfig, TandemConfig(BaselinePort));
}

var variantConfig = Path.Combine(options.Out, "variant", "tandem-bench.yaml");
if (options.VariantEnv is not null)
{
    Directory.CreateDirectory(Path.GetDirectoryName(variantConfig)!);
    File.WriteAllText(variantConfig, TandemConfig(VariantPort));
}

// The learned router's cost (issue 12): the same gateway with each route's deployment chosen by a linear router model
// (tiers.scorer: model, both tiers on the route's deployment, so the upstream is unchanged). The model is trained on the
// RouteLLM MMLU outcomes in test/TestData when the target runs.
var routerConfig = Path.Combine(options.Out, "router", "tandem-bench.yaml");
var routerModel = Path.Combine(options.Out, "router", "router.bin");

string Route(string name, string deployment, string? model) => model is null
    ? $"  - name: {name}\n    deployment: {deployment}\n"
    : $"  - name: {name}\n    tiers: {{ scorer: model, model: \"{model}\", levels: [ {{ min: 0, deployment: {deployment} }}, {{ min: 0.5, deployment: {deployment} }} ] }}\n";

string TandemConfig(int port, string? model = null) => $"""
    # Generated by bench/LoadRunner for one run; the key is random and local.
    server:
      urls: http://127.0.0.1:{port}
    auth:
      keys:
        - name: bench
          key: {key}
          routes: ["*"]
    providers:
      - name: sim-0ms
        type: openai
        base_url: http://127.0.0.1:{Sim0Port}/v1
      - name: sim-20ms
        type: openai
        base_url: http://127.0.0.1:{Sim20Port}/v1
      - name: sim-stream
        type: openai
        base_url: http://127.0.0.1:{SimStreamPort}/v1
    deployments:
      - name: bench-fast
        provider: sim-0ms
        model: gpt-bench
      - name: bench-slow
        provider: sim-20ms
        model: gpt-bench
      - name: bench-paced
        provider: sim-stream
        model: gpt-bench
    routes:
    {Route("bench-0ms", "bench-fast", model)}{Route("bench-20ms", "bench-slow", model)}{Route("bench-stream", "bench-paced", model)}
    """;

var nginxPrefix = Path.Combine(options.Out, "nginx");
var allTargets = new List<TargetDefinition>
{
    new()
    {
        Name = "direct",
        Description = "the simulator itself, no hop (baseline)",
        Request = s => Spec($"{SimUrl(s)}/v1/chat/completions", "gpt-bench", s),
    },
    new()
    {
        Name = "tandem",
        Description = "`tandem serve` (Release) with a generated config: key auth, route → deployment, model rewrite, usage parsing",
        StartAsync = async () =>
        {
            var p = ChildProcess.Start("tandem", tandemExe, ["serve", "--config", tandemConfig], Path.Combine(logs, "tandem.log"));
            await p.WaitForPortAsync(TandemPort, TimeSpan.FromSeconds(30));
            return p;
        },
        Request = s => Spec($"http://127.0.0.1:{TandemPort}/v1/chat/completions", TandemRoute(s), s),
    },
    new()
    {
        Name = "baseline",
        Description = $"`tandem serve` built from {options.BaselineName ?? options.Baseline} (the regression baseline), same config",
        Unavailable = baselineExe is null ? "no --baseline given" : File.Exists(baselineExe) ? null : $"{baselineExe} not built",
        StartAsync = async () =>
        {
            var p = ChildProcess.Start("baseline", baselineExe!, ["serve", "--config", baselineConfig], Path.Combine(logs, "baseline.log"), workingDirectory: Path.GetDirectoryName(baselineConfig));
            await p.WaitForPortAsync(BaselinePort, TimeSpan.FromSeconds(30));
            return p;
        },
        Request = s => Spec($"http://127.0.0.1:{BaselinePort}/v1/chat/completions", TandemRoute(s), s),
    },
    new()
    {
        Name = "variant",
        Description = $"`tandem serve` from this tree with {string.Join(' ', (options.VariantEnv ?? new Dictionary<string, string>()).Select(kv => kv.Key + "=" + kv.Value))} (an A/B of settings)",
        Unavailable = options.VariantEnv is null ? "no --variant-env given" : null,
        StartAsync = async () =>
        {
            var p = ChildProcess.Start("variant", tandemExe, ["serve", "--config", variantConfig], Path.Combine(logs, "variant.log"), options.VariantEnv, Path.GetDirectoryName(variantConfig));
            await p.WaitForPortAsync(VariantPort, TimeSpan.FromSeconds(30));
            return p;
        },
        Request = s => Spec($"http://127.0.0.1:{VariantPort}/v1/chat/completions", TandemRoute(s), s),
    },
    new()
    {
        Name = "tandem-router",
        Description = "`tandem serve` (Release), same config but every route chooses its deployment with a linear router model (tiers.scorer: model)",
        StartAsync = async () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(routerConfig)!);
            await using (var train = ChildProcess.Start("router train", tandemExe, ["router", "train", "--data", Path.Combine(options.Repo, "test/TestData/routellm-mmlu/responses"), "--out", routerModel], Path.Combine(logs, "router-train.log")))
            {
                await train.WaitForExitAsync(TimeSpan.FromMinutes(10));
            }

            File.WriteAllText(routerConfig, TandemConfig(RouterPort, routerModel));
            var p = ChildProcess.Start("tandem-router", tandemExe, ["serve", "--config", routerConfig], Path.Combine(logs, "tandem-router.log"), workingDirectory: Path.GetDirectoryName(routerConfig));
            await p.WaitForPortAsync(RouterPort, TimeSpan.FromSeconds(30));
            return p;
        },
        Request = s => Spec($"http://127.0.0.1:{RouterPort}/v1/chat/completions", TandemRoute(s), s),
    },
    new()
    {
        Name = "yarp",
        Description = "bare YARP 2.3 hop (bench/YarpHop, ASP.NET Core defaults incl. server GC)",
        Unavailable = File.Exists(yarpExe) ? null : "bench/YarpHop not built",
        StartAsync = async () =>
        {
            var p = ChildProcess.Start("yarp", yarpExe, ["--urls", $"http://127.0.0.1:{YarpPort}", "--upstream", $"http://127.0.0.1:{Sim0Port}", "--upstream20", $"http://127.0.0.1:{Sim20Port}", "--upstreamStream", $"http://127.0.0.1:{SimStreamPort}"], Path.Combine(logs, "yarp.log"));
            await p.WaitForPortAsync(YarpPort, TimeSpan.FromSeconds(30));
            return p;
        },
        Request = s => Spec($"http://127.0.0.1:{YarpPort}{Prefix(s)}/v1/chat/completions", "gpt-bench", s),
    },
    new()
    {
        Name = "nginx",
        Description = "nginx reverse proxy (apt), upstream keepalive, proxy_buffering off, worker_processes auto",
        Unavailable = nginxExe is null ? "nginx not installed (apt-get install nginx)" : null,
        StartAsync = async () =>
        {
            Nginx.WriteConfig(nginxPrefix, NginxPort, Sim0Port, Sim20Port, SimStreamPort);
            var p = ChildProcess.Start("nginx", nginxExe!, ["-p", nginxPrefix, "-c", Path.Combine(nginxPrefix, "nginx.conf"), "-g", "daemon off;"], Path.Combine(logs, "nginx.log"));
            await p.WaitForPortAsync(NginxPort, TimeSpan.FromSeconds(30));
            return p;
        },
        Request = s => Spec($"http://127.0.0.1:{NginxPort}{Prefix(s)}/v1/chat/completions", "gpt-bench", s),
    },
    new()
    {
        Name = "portkey",
        Description = $"Portkey open-source gateway {machine.PortkeyVersion} (npm, node {machine.Node}), headless",
        Unavailable = nodeExe is null ? "node not installed" : File.Exists(portkeyJs) ? null : "bench/peer not installed (npm install in bench/peer)",
        StartAsync = async () =>
        {
            var p = ChildProcess.Start("portkey", nodeExe!, [portkeyJs, $"--port={PortkeyPort}", "--headless"], Path.Combine(logs, "portkey.log"), workingDirectory: Path.Combine(options.Repo, "bench/peer"));
            await p.WaitForPortAsync(PortkeyPort, TimeSpan.FromSeconds(60));
            return p;
        },
        Request = s => Spec($"http://127.0.0.1:{PortkeyPort}/v1/chat/completions", "gpt-bench", s,
            new("x-portkey-provider", "openai"), new("x-portkey-custom-host", $"{SimUrl(s)}/v1")),
    },
};
var targets = allTargets.Where(t => options.Targets is null
    ? (t.Name != "baseline" || baselineExe is not null) && (t.Name != "variant" || options.VariantEnv is not null) && (t.Name != "tandem-router" || options.Router)
    : options.Targets.Contains(t.Name)).ToList();

static string TandemRoute(Scenario s) => s.Upstream switch { Upstream.Fast => "bench-0ms", Upstream.Slow20 => "bench-20ms", _ => "bench-stream" };

var json0 = new Scenario("json-0ms", Upstream.Fast, false, "non-streamed ~1 KB chat completion, upstream answers at once");
var json20 = new Scenario("json-20ms", Upstream.Slow20, false, "non-streamed ~1 KB chat completion, upstream waits 20 ms");
var stream0 = new Scenario("stream", Upstream.Paced, true, "streamed chat completion (~25 SSE events, ~6 KB): first event at once, then one every 2.5 ms (~60 ms per stream)");
var plan = options.Mode switch
{
    RunMode.Smoke => new Plan(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2),
        [(json0, [200], true), (json20, [200], false), (stream0, [200], false)]),
    _ => new Plan(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5),
        [(json0, [200, 500, 1000, 2000, 5000], true), (json20, [500, 1000, 2000, 5000], false), (stream0, [200, 500, 1000, 2000], false)]),
};

if (options.Only is { } only)
{
    // --only json-0ms:1000,stream:200,json-0ms:closed keeps just those phases.
    plan = plan with
    {
        Scenarios = [.. plan.Scenarios.Select(p => (p.Scenario,
                Rates: p.Rates.Concat([200, 500, 1000, 2000, 5000]).Distinct().Where(r => only.Contains($"{p.Scenario.Name}:{r}")).Order().ToArray(),
                Closed: only.Contains($"{p.Scenario.Name}:closed")))
            .Where(p => p.Rates.Length > 0 || p.Closed)],
    };
}

var results = new List<PhaseResult>();
var soak = new List<SoakSample>();
var started = Stopwatch.StartNew();
if (options.Mode == RunMode.Soak)
{
    var tandem = allTargets.Single(t => t.Name == "tandem");
    await using var process = await tandem.StartAsync!();
    using var client = NewClient();
    var spec = tandem.Request(json0);
    await OpenLoop.RunAsync(client, spec, 500, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
    var stats = new ProcStats(process.Pid);
    var chunk = TimeSpan.FromSeconds(30);
    var chunks = (int)Math.Ceiling(options.SoakMinutes * 60 / chunk.TotalSeconds);
    for (var i = 0; i < chunks; i++)
    {
        stats.Begin();
        var sample = await OpenLoop.RunAsync(client, spec, 1000, chunk, TimeSpan.FromSeconds(5));
        var (cpu, peak, rss) = stats.End();
        soak.Add(new SoakSample(started.Elapsed.TotalMinutes, sample.Throughput, sample.Errors, sample.Latency?.P50 ?? 0, sample.Latency?.P99 ?? 0, cpu, peak, rss, LoadAverage()));
        Console.WriteLine($"soak {i + 1}/{chunks}: {sample.Throughput:0} req/s, p50 {sample.Latency?.P50:0} µs, p99 {sample.Latency?.P99:0} µs, RSS {rss:0.0} MB (peak {peak:0.0}), errors {sample.Errors}");
    }
}
else
{
    // Warm the simulators and the load generator itself (JIT, PGO tiers, connection pools) before the first
    // measured target, so that "direct" is not measured cold.
    var direct = allTargets.Single(t => t.Name == "direct");
    foreach (var (scenario, _, _) in plan.Scenarios)
    {
        using var warm = NewClient();
        await OpenLoop.RunAsync(warm, direct.Request(scenario), 1000, plan.Warmup * 2, plan.Drain);
        await ClosedLoop.RunAsync(warm, direct.Request(scenario), 16, plan.Warmup);
    }

    // All targets run side by side (idle when not measured) and are measured in turn for each scenario and
    // rate, so that slow drifts of the background load hit every target alike.
    var running = new List<(TargetDefinition Target, ChildProcess? Process)>();
    try
    {
        foreach (var target in targets)
        {
            if (target.Unavailable is not null)
            {
                Console.WriteLine($"bench: skipping {target.Name}: {target.Unavailable}");
                results.Add(PhaseResult.Skipped(target.Name, target.Unavailable));
                continue;
            }

            Console.WriteLine($"bench: starting {target.Name} ({target.Description})");
            var process = target.StartAsync is null ? null : await target.StartAsync();
            running.Add((target, process));
            if (process is not null && options.Only is null)
            {
                // The first phase right after start, before any warm-up: what the first users see after a deploy.
                using var client = NewClient();
                var spec = target.Request(json0);
                var (sample, cpu, rss) = await MeasureAsync(process, () => OpenLoop.RunAsync(client, spec, 200, plan.Phase, plan.Drain));
                results.Add(new PhaseResult(target.Name, json0.Name, "cold", 200, sample, cpu, rss, LoadAverage(), PhaseResult.IsSaturated(sample, 200), "first phase after start, not warmed"));
                Console.WriteLine($"  {target.Name,-8} {json0.Name} @ 200/s, first phase after start: p50 {sample.Latency?.P50:0} µs, p99 {sample.Latency?.P99:0} µs, errors {sample.Errors}");
            }
        }

        foreach (var (scenario, rates, closed) in plan.Scenarios)
        {
            var saturated = new HashSet<string>();
            foreach (var (target, _) in running)
            {
                using var warm = NewClient();
                await OpenLoop.RunAsync(warm, target.Request(scenario), options.Mode == RunMode.Smoke ? 100 : 500, plan.Warmup, plan.Drain);
            }

            foreach (var rate in rates)
            {
                foreach (var (target, process) in running)
                {
                    if (saturated.Contains(target.Name))
                    {
                        results.Add(new PhaseResult(target.Name, scenario.Name, "rate", rate, null, null, null, LoadAverage(), true, "not run: saturated at a lower rate"));
                        continue;
                    }

                    using var client = NewClient();
                    var spec = target.Request(scenario);
                    var (sample, cpu, rss) = await MeasureAsync(process, () => OpenLoop.RunAsync(client, spec, rate, plan.Phase, plan.Drain));
                    var isSaturated = PhaseResult.IsSaturated(sample, rate);
                    if (isSaturated)
                    {
                        saturated.Add(target.Name);
                    }

                    results.Add(new PhaseResult(target.Name, scenario.Name, "rate", rate, sample, cpu, rss, LoadAverage(), isSaturated, isSaturated ? "could not sustain the offered rate" : null));
                    Console.WriteLine($"  {target.Name,-8} {scenario.Name} @ {rate}/s: {sample.Throughput:0} req/s, p50 {sample.Latency?.P50:0} µs, p99 {sample.Latency?.P99:0} µs, errors {sample.Errors}{(scenario.Stream ? $", ttfb p50 {sample.FirstByte?.P50:0} µs" : "")}, cpu {cpu:0}%, rss {rss:0} MB, load {LoadAverage()}");
                    await Task.Delay(300);
                }
            }

            if (closed)
            {
                foreach (var (target, process) in running)
                {
                    using var client = NewClient();
                    var spec = target.Request(scenario);
                    var (sample, cpu, rss) = await MeasureAsync(process, () => wrkExe is not null
                        ? Wrk.RunAsync(wrkExe, wrkScript, spec, 2, 32, plan.Closed)
                        : ClosedLoop.RunAsync(client, spec, 32, plan.Closed));
                    results.Add(new PhaseResult(target.Name, scenario.Name, "closed", null, sample, cpu, rss, LoadAverage(), false, null));
                    Console.WriteLine($"  {target.Name,-8} {scenario.Name} closed loop: {sample.Throughput:0} req/s, p50 {sample.Latency?.P50:0} µs, p99 {sample.Latency?.P99:0} µs, errors {sample.Errors}, cpu {cpu:0}%, rss {rss:0} MB, load {LoadAverage()}");
                    await Task.Delay(300);
                }
            }
        }
    }
    finally
    {
        foreach (var (_, process) in running)
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }
    }
}

machine = machine with { LoadAverageEnd = LoadAverage(), Minutes = started.Elapsed.TotalMinutes };
Report.Write(options, machine, results, soak);
Console.WriteLine($"bench: wrote {Path.Combine(options.Out, "results.md")} ({started.Elapsed.TotalSeconds:0} s)");
return 0;

static async Task<(LoadSample Sample, double? Cpu, double? Rss)> MeasureAsync(ChildProcess? process, Func<Task<LoadSample>> run)
{
    if (process is null)
    {
        return (await run(), null, null);
    }

    var stats = new ProcStats(process.Pid);
    stats.Begin();
    using var stop = new CancellationTokenSource();
    var sampler = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            stats.Sample();
            await Task.Delay(250).ConfigureAwait(false);
        }
    });
    var sample = await run();
    await stop.CancelAsync();
    await sampler;
    var (cpu, peak, _) = stats.End();
    return (sample, cpu, peak);
}

static HttpMessageInvoker NewClient() => new(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    UseCookies = false,
    AutomaticDecompression = DecompressionMethods.None,
    MaxConnectionsPerServer = 256,
    ConnectTimeout = TimeSpan.FromSeconds(5),
    PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
});

static byte[] RequestBody(string model, bool stream) => Encoding.UTF8.GetBytes(
    "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a concise assistant for a support team.\"},"
    + "{\"role\":\"user\",\"content\":\"Summarise in one paragraph why a team would put a gateway in front of its LLM providers.\"}],"
    + "\"temperature\":0.2,\"max_tokens\":256" + (stream ? ",\"stream\":true" : "") + ",\"user\":\"bench-user\"}");

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static string? FindOnPath(string name) => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
    .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
