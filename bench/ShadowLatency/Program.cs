// Shadow-traffic latency benchmark (issue 5): does calling a candidate beside every request change the latency the
// client sees? Same gateway, same upstreams (simulators with a fixed 20 ms answer), two routes: "plain" (no
// migration) and "shadowed" (migration in shadow, shadow_rate 1.0). Requests alternate between the routes so both
// see the same machine conditions; latency is measured at the client from send to the last byte.
// Usage: dotnet run -c Release --project bench/ShadowLatency -- [--requests N] [--out FILE]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Server;
using Tandem.Simulator;

var requests = 2000;
string? outFile = null;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--requests")
    {
        requests = int.Parse(args[++i], CultureInfo.InvariantCulture);
    }
    else if (args[i] == "--out")
    {
        outFile = args[++i];
    }
}

var upstream = new SimulatorOptions { Latency = Distribution.Parse("20ms"), OutputTokens = 150 };
await using var incumbent = await SimulatorServer.StartAsync(upstream);
await using var candidate = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = Distribution.Parse("20ms"), OutputTokens = 150 });
var dir = Directory.CreateTempSubdirectory("tandem-shadow-bench-").FullName;
var config = Path.Combine(dir, "tandem.yaml");
await File.WriteAllTextAsync(config, $$"""
    auth: { keys: [ { name: bench, key: sk-bench-123456 } ] }
    providers:
      - { name: inc, base_url: "{{incumbent.V1}}" }
      - { name: cand, base_url: "{{candidate.V1}}" }
    deployments:
      - { name: gpt, provider: inc, model: gpt-4o-mini }
      - { name: llama, provider: cand, model: llama }
    routes:
      - { name: plain, deployment: gpt }
      - name: shadowed
        deployment: gpt
        migration: { to: llama, stage: shadow, shadow_rate: 1.0, shadow_concurrency: 4, evaluate_every: 1h }
    """);
await using var gateway = GatewayApp.Create(new GatewayAppOptions { ConfigPath = config, Urls = "http://127.0.0.1:0", LoggerProvider = NullLoggerProvider.Instance, WatchConfig = false });
await gateway.StartAsync();
using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-bench-123456");

async Task<double> OnceAsync(string route, int i)
{
    var body = $$"""{"model":"{{route}}","messages":[{"role":"user","content":"question number {{i}}"}]}""";
    var start = Stopwatch.GetTimestamp();
    using var response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
    _ = await response.Content.ReadAsByteArrayAsync();
    response.EnsureSuccessStatusCode();
    return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}

for (var i = 0; i < 200; i++)
{
    await OnceAsync(i % 2 == 0 ? "plain" : "shadowed", i);
}

var plain = new List<double>(requests);
var shadowed = new List<double>(requests);
for (var i = 0; i < requests * 2; i++)
{
    if (i % 2 == 0)
    {
        plain.Add(await OnceAsync("plain", i));
    }
    else
    {
        shadowed.Add(await OnceAsync("shadowed", i));
    }
}

static double P(List<double> values, double q)
{
    var sorted = values.Order().ToArray();
    var rank = q * (sorted.Length - 1);
    var lo = (int)Math.Floor(rank);
    var hi = (int)Math.Ceiling(rank);
    return sorted[lo] + ((sorted[hi] - sorted[lo]) * (rank - lo));
}

await ((Tandem.Migration.MigrationCoordinator)gateway.Services.GetService(typeof(Tandem.Migration.MigrationCoordinator))!).WaitForShadowsAsync(TimeSpan.FromSeconds(30));
var sb = new StringBuilder();
sb.AppendLine(CultureInfo.InvariantCulture, $"Shadow latency benchmark: {requests} sequential requests per route, interleaved; upstream fixed 20 ms, ~1 KB answers; {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}.");
sb.AppendLine();
sb.AppendLine("| route | p50 ms | p90 ms | p99 ms | mean ms |");
sb.AppendLine("| --- | --- | --- | --- | --- |");
foreach (var (name, values) in new[] { ("plain (no migration)", plain), ("shadowed (every request also sent to the candidate)", shadowed) })
{
    sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {P(values, 0.5):0.00} | {P(values, 0.9):0.00} | {P(values, 0.99):0.00} | {values.Average():0.00} |");
}

sb.AppendLine();
sb.AppendLine(CultureInfo.InvariantCulture, $"Candidate calls made: {candidate.Stats.Completed} (expected {requests + 100}: one per shadowed request, warm-up included).");
Console.Write(sb.ToString());
if (outFile is not null)
{
    await File.WriteAllTextAsync(outFile, sb.ToString());
}

Directory.Delete(dir, recursive: true);
