using System.IO.Compression;
using System.Text.Json;
using System.Xml.Linq;
using Tandem.Cli.Commands;
using Tandem.Extensions.AI.Tests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.Extensions.AI.Tests;

/// <summary>
/// The packages <c>dotnet pack</c> makes, and the examples (examples/InProcessConsole, examples/InProcessWeb) built from
/// them through a local folder feed, each alone in a temporary folder, and run against simulators as a user runs them.
/// Builds take the machine's cores: the class runs after this assembly's other tests, not beside them.
/// </summary>
[Collection(nameof(ExampleAppTests))]
public sealed class ExampleAppTests(LocalFeed feed) : IClassFixture<LocalFeed>
{
    private const string Nuspec = "{http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd}";

    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The package ids and versions a package depends on, and the frameworks it references.</summary>
    private (IReadOnlyList<(string Id, string Version)> Dependencies, IReadOnlyList<string> Frameworks) Manifest(string id)
    {
        using var package = ZipFile.OpenRead(feed.Package(id));
        var entry = package.GetEntry(id + ".nuspec") ?? throw new InvalidOperationException($"{id} has no nuspec");
        using var stream = entry.Open();
        var nuspec = XDocument.Load(stream);
        var dependencies = nuspec.Descendants(Nuspec + "dependency").Select(d => ((string)d.Attribute("id")!, (string)d.Attribute("version")!)).OrderBy(d => d.Item1, StringComparer.Ordinal).ToList();
        var frameworks = nuspec.Descendants(Nuspec + "frameworkReference").Select(f => (string)f.Attribute("name")!).ToList();
        return (dependencies, frameworks);
    }

    [Fact]
    public void Packages_DependOnMeaiCoreAndStorage_NeverOnAspNetCore()
    {
        var (dependencies, frameworks) = Manifest("Tandem.Extensions.AI");
        Assert.Equal(
            [("Microsoft.Extensions.AI", "10.11.0"), ("System.ClientModel", "1.16.0"), ("Tandem.Core", feed.Version), ("Tandem.Storage", feed.Version)],
            dependencies);
        Assert.Empty(frameworks);
        using (var package = ZipFile.OpenRead(feed.Package("Tandem.Extensions.AI")))
        {
            Assert.Contains(package.Entries, e => e.FullName == "lib/net10.0/Tandem.Extensions.AI.dll");
            Assert.Contains(package.Entries, e => e.FullName == "lib/net10.0/Tandem.Extensions.AI.xml");
            Assert.Contains(package.Entries, e => e.FullName == "README.md");
        }

        // What the package brings in with it: Core's and Storage's own dependencies, none of them ASP.NET Core.
        foreach (var id in new[] { "Tandem.Core", "Tandem.Storage" })
        {
            var (deps, fw) = Manifest(id);
            Assert.Empty(fw);
            Assert.DoesNotContain(deps, d => d.Id.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        }

        Assert.Contains(("Tandem.Core", feed.Version), Manifest("Tandem.Storage").Dependencies);
        Assert.Contains(("Polly.Core", "8.6.5"), Manifest("Tandem.Core").Dependencies);
    }

    [Fact]
    public async Task ConsoleExample_FromTheFeed_FallsBackToTheBackup_AndItsRecordsAreReadByTandemCosts()
    {
        await using var primary = await Sims.StartAsync("primary", o => o.Faults = [new Fault(FaultKind.Status503, 1.0)]);
        await using var backup = await Sims.StartAsync("backup");
        var app = await feed.BuildExampleAsync("InProcessConsole");
        using var dir = new TempDir("tandem-console-");

        var output = await DotNetProcess.RunAsync(dir.Path, new Dictionary<string, string>(), RunTimeout,
            Path.Combine(app, "InProcessConsole.dll"), primary.V1.ToString(), backup.V1.ToString(), dir.File("console.db"));

        var lines = output.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("answered by llama-3.1-8b-instruct: ", StringComparison.Ordinal) && l.Length > "answered by llama-3.1-8b-instruct: ".Length);
        Assert.Contains(lines, l => l.StartsWith("streamed by llama-3.1-8b-instruct: ", StringComparison.Ordinal) && l.Length > "streamed by llama-3.1-8b-instruct: ".Length);

        // Each call tried the primary twice (the default resilience: one retry) before the fallback served it.
        Assert.Equal((4L, 0L), (primary.Stats.Received, primary.Stats.Completed));
        Assert.Equal(2L, backup.Stats.Completed);

        // The records, flushed when the app disposed its client. By hand, from the simulator's billing ((characters
        // + 16) per message + 3) / 4: "Why would a team put a gateway in front of its LLM providers?" (61) is 20
        // tokens, "Say hello." (10) is 7; each answer 24 tokens. Spend: 27 × $0.50 + 48 × $1.50 per million = $0.0000855.
        await File.WriteAllTextAsync(dir.File("tandem.yaml"), "storage: { engine: sqlite, path: console.db }\n", Ct);
        var report = await CostsCommand.ComputeAsync(dir.File("tandem.yaml"), "30d", "deployment", null, TimeProvider.System.GetUtcNow(), Ct);
        var group = Assert.Single(report.Groups);
        Assert.Equal(("backup", 2L, 27L, 48L, 0.0000855m), (group.Name, group.Requests, group.PromptTokens, group.CompletionTokens, group.Spend));
    }

    [Fact]
    public async Task WebExample_FromTheFeed_RoutesByHeaderAndPersonalData_AndFlushesItsRecordsOnShutdown()
    {
        await using var primary = await Sims.StartAsync("primary");
        await using var backup = await Sims.StartAsync("backup");
        var app = await feed.BuildExampleAsync("InProcessWeb");
        using var dir = new TempDir("tandem-web-");
        var environment = new Dictionary<string, string>
        {
            ["TANDEM_PRIMARY_URL"] = primary.V1.ToString(),
            ["TANDEM_BACKUP_URL"] = backup.V1.ToString(),
            ["TANDEM_DB"] = dir.File("web.db"),
        };

        var (web, line) = await DotNetProcess.StartAsync(dir.Path, environment, "Now listening on: ", Path.Combine(app, "InProcessWeb.dll"), "--urls", "http://127.0.0.1:0");
        await using (web)
        {
            using var http = new HttpClient { BaseAddress = new Uri(line[(line.IndexOf("http://", StringComparison.Ordinal))..].Trim()) };

            // Served by the app's own IChatClient (the deployment "primary").
            var plain = await AskAsync(http, """{"question":"Hello?","user":"u-1"}""", tier: null);
            Assert.Equal("gpt-4o-mini", plain.GetProperty("model").GetString());

            // A rule on the request's X-Tier header, read through TandemChatClientOptions.Headers: "backup", over HTTP.
            var free = await AskAsync(http, """{"question":"What is Tandem?"}""", tier: "free");
            Assert.Equal("llama-3.1-8b-instruct", free.GetProperty("model").GetString());

            // Personal data stays on the self-hosted deployment.
            var pii = await AskAsync(http, """{"question":"Mail me at jane.doe@example.com"}""", tier: null);
            Assert.Equal("llama-3.1-8b-instruct", pii.GetProperty("model").GetString());
            Assert.All([plain, free, pii], a => Assert.False(string.IsNullOrEmpty(a.GetProperty("answer").GetString())));

            web.Terminate();
            Assert.Equal(0, await web.WaitForExitAsync(RunTimeout));
        }

        Assert.Equal((1L, 2L), (primary.Stats.Completed, backup.Stats.Completed));

        // By hand: "Hello?" (6 characters) is 6 prompt tokens; "What is Tandem?" (15) 8; "Mail me at jane.doe@example.com"
        // (31) 12; 24 tokens per answer. primary: 6 × $0.15 + 24 × $0.60 per million = $0.0000153; backup: 20 × $0.50 +
        // 48 × $1.50 per million = $0.000082.
        await File.WriteAllTextAsync(dir.File("tandem.yaml"), "storage: { engine: sqlite, path: web.db }\n", Ct);
        var report = await CostsCommand.ComputeAsync(dir.File("tandem.yaml"), "30d", "deployment", null, TimeProvider.System.GetUtcNow(), Ct);
        Assert.Equal(
            [("backup", 2L, 20L, 48L, 0.000082m), ("primary", 1L, 6L, 24L, 0.0000153m)],
            report.Groups.Select(g => (g.Name, g.Requests, g.PromptTokens, g.CompletionTokens, g.Spend)).OrderBy(g => g.Name, StringComparer.Ordinal));
    }

    private static async Task<JsonElement> AskAsync(HttpClient http, string json, string? tier)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ask") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (tier is not null)
        {
            request.Headers.Add("X-Tier", tier);
        }

        using var response = await http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}

/// <summary>The example builds, run alone (after the parallel tests of this assembly).</summary>
[CollectionDefinition(nameof(ExampleAppTests), DisableParallelization = true)]
public sealed class ExampleAppCollection;
