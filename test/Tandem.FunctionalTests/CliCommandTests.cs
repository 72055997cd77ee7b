using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Tandem.Cli.Commands;
using Tandem.FunctionalTests.Infrastructure;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// The <c>tandem</c> commands that had no test: <c>keys hash</c>, <c>config check</c>, <c>serve</c>'s refusals,
/// <c>simulate</c>, <c>demo</c> and <c>storage measure</c>, through the built executable where they use the console.
/// </summary>
public sealed class CliCommandTests
{
    private static async Task<(int Code, string Out, string Err)> InProcessAsync(Command command, params string[] args)
    {
        var root = new RootCommand("test") { command };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, Ct);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task KeysHash_PrintsTheSha256OfTheTrimmedKey()
    {
        var (code, stdout, stderr) = await TandemProcess.RunAsync("  sk-live-abc123  \n", "keys", "hash");

        // python3 -c "import hashlib;print(hashlib.sha256(b'sk-live-abc123').hexdigest())"
        Assert.True(code == 0, stderr);
        Assert.Equal("a2c62cb92a6c0cd3014b3936b9fc94e00d32871153350db34bea68757c896dfe", stdout);
    }

    [Fact]
    public async Task KeysHash_NoKey_ExitsTwo()
    {
        var (code, stdout, stderr) = await TandemProcess.RunAsync("   \n", "keys", "hash");

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("tandem keys hash: no key on standard input", stderr);
    }

    [Fact]
    public async Task ConfigCheck_ValidFile_SaysWhatItHolds_AndWarnsOnStandardError()
    {
        using var dir = new TempDir();
        var path = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(path, """
            auth: { disabled: true, admin_key_env: TANDEM_TEST_NEVER_SET_CLI }
            providers: [ { name: p, base_url: "http://127.0.0.1:9/v1" }, { name: q, base_url: "http://127.0.0.1:8/v1" } ]
            deployments: [ { name: a, provider: p, model: m }, { name: b, provider: q, model: m } ]
            routes: [ { name: r, deployment: a } ]
            """, Ct);

        var (code, stdout, stderr) = await InProcessAsync(ConfigCommand.Create(), "config", "check", path);

        Assert.Equal(0, code);
        Assert.Equal("ok: 2 providers, 2 deployments, 1 routes" + Environment.NewLine, stdout);
        Assert.Equal("warning: auth.admin_key_env: environment variable 'TANDEM_TEST_NEVER_SET_CLI' is not set; the admin API (/admin/*) will refuse every request"
            + Environment.NewLine, stderr);
    }

    [Fact]
    public async Task ConfigCheck_InvalidFile_ListsEveryErrorAndExitsOne()
    {
        using var dir = new TempDir();
        var path = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(path, """
            auth: { disabled: true }
            providers: [ { name: p, base_url: "http://127.0.0.1:9/v1" } ]
            deployments: [ { name: a, provider: nope, model: m } ]
            routes: [ { name: r, deployment: b } ]
            """, Ct);

        var (code, stdout, stderr) = await InProcessAsync(ConfigCommand.Create(), "config", "check", path);

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal(["deployments[0].provider: unknown provider 'nope'", "routes[0].deployment: unknown deployment 'b'"],
            stderr.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Serve_MissingConfiguration_ExitsTwo_InvalidConfiguration_ExitsOne()
    {
        using var dir = new TempDir();
        var missing = dir.File("missing.yaml");
        var invalid = dir.File("invalid.yaml");
        await File.WriteAllTextAsync(invalid, "auth: { disabled: true }\nproviders: [ { name: p, base_url: nowhere } ]\n", Ct);

        var (missingCode, _, missingErr) = await TandemProcess.RunAsync(null, "serve", "--config", missing);
        var (invalidCode, _, invalidErr) = await TandemProcess.RunAsync(null, "serve", "--config", invalid, "--urls", "http://127.0.0.1:0");

        Assert.Equal(2, missingCode);
        Assert.Equal($"tandem: configuration file '{missing}' not found. Pass --config FILE, or try `tandem demo`.", missingErr);
        Assert.Equal(1, invalidCode);
        Assert.Contains("tandem: invalid configuration:", invalidErr, StringComparison.Ordinal);
        Assert.Contains("providers[0].base_url: 'nowhere' is not an absolute http(s) URL", invalidErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_ServesItsOptions_AndStopsCleanlyOnSigterm()
    {
        var port = TandemProcess.FreePort();
        await using var sim = await TandemProcess.StartAsync("listening on",
            "simulate", "--urls", $"http://127.0.0.1:{port}", "--models", "m1", "--output-tokens", "3", "--fingerprint", "fp_cli_test", "--seed", "7", "--label", "cli-sim");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        using var served = await http.PostAsync("v1/chat/completions", Json("""{"model":"m1","messages":[{"role":"user","content":"hi"}]}"""), Ct);
        using var unknown = await http.PostAsync("v1/chat/completions", Json("""{"model":"m2","messages":[{"role":"user","content":"hi"}]}"""), Ct);

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        using (var doc = JsonDocument.Parse(await served.Content.ReadAsStringAsync(Ct)))
        {
            Assert.Equal(3, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
            Assert.Equal("fp_cli_test", doc.RootElement.GetProperty("system_fingerprint").GetString());
            Assert.Equal("m1", doc.RootElement.GetProperty("model").GetString());
        }

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains($"Tandem SIMULATOR 'cli-sim' listening on http://127.0.0.1:{port}/v1", string.Join('\n', sim.StandardOutput), StringComparison.Ordinal);
        sim.Terminate();
        Assert.Equal(0, await sim.WaitForExitAsync());
    }

    [Fact]
    public async Task Simulate_BadFaultList_ExitsTwo()
    {
        var (code, _, stderr) = await TandemProcess.RunAsync(null, "simulate", "--errors", "500:0.1,teapot:1");

        Assert.Equal(2, code);
        Assert.Equal("tandem simulate: unknown fault 'teapot' (expected 500, 503, 429, reset, abort or stall)", stderr);
    }

    [Fact]
    public async Task Demo_ServesBothRoutesWithTheDemoKey_AndStopsCleanlyOnSigterm()
    {
        var port = TandemProcess.FreePort();
        await using var demo = await TandemProcess.StartAsync("Tandem gateway listening on", "demo", "--urls", $"http://127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-tandem-demo");

        foreach (var (route, deployment) in new[] { ("intent", "proprietary"), ("support-chat", "self-hosted") })
        {
            using var response = await http.PostAsync("v1/chat/completions", Json($$"""{"model":"{{route}}","messages":[{"role":"user","content":"hi"}]}"""), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(deployment, response.Headers.GetValues("x-tandem-deployment").Single());
        }

        using var refused = new HttpClient { BaseAddress = http.BaseAddress };
        using var unauthorized = await refused.PostAsync("v1/chat/completions", Json("""{"model":"intent","messages":[{"role":"user","content":"hi"}]}"""), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Contains(demo.StandardOutput, l => l.StartsWith("SIMULATED upstreams: proprietary at http://127.0.0.1:", StringComparison.Ordinal));
        demo.Terminate();
        Assert.Equal(0, await demo.WaitForExitAsync());
    }

    [Theory]
    [InlineData("--records", "0")]
    [InlineData("--batch-size", "-1")]
    public async Task StorageMeasure_NonPositiveCounts_ExitTwo(string option, string value)
    {
        var (code, stdout, stderr) = await InProcessAsync(StorageCommand.Create(), "storage", "measure", option, value);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("tandem storage measure: --records and --batch-size must be positive" + Environment.NewLine, stderr);
    }

    [Fact]
    public async Task StorageMeasure_PostgresWithoutItsVariable_ExitsTwo()
    {
        var (code, _, stderr) = await InProcessAsync(StorageCommand.Create(), "storage", "measure", "--engine", "postgres", "--connection-string-env", "TANDEM_TEST_NEVER_SET_PG");

        Assert.Equal(2, code);
        Assert.Equal("tandem storage measure: environment variable 'TANDEM_TEST_NEVER_SET_PG' is not set" + Environment.NewLine, stderr);
    }

    [Fact]
    public async Task StorageMeasure_Sqlite_ReportsBytesPerRecord()
    {
        var (code, stdout, stderr) = await InProcessAsync(StorageCommand.Create(), "storage", "measure", "--records", "200", "--batch-size", "10");

        Assert.True(code == 0, stderr);
        var lines = stdout.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("sqlite: 200 records in batches of 10; ", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^  first 7 days \(a batches row per write\):  \d+\.\d bytes/record$", lines[1]);
        Assert.Matches(@"^  steady state \(batch rows deleted\):       \d+\.\d bytes/record$", lines[2]);

        // Deleting the batch rows can only shrink what a record costs.
        var firstWeek = double.Parse(lines[1].Split(':')[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        var steady = double.Parse(lines[2].Split(':')[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(steady, 1, firstWeek);
    }
}
