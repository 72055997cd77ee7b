using System.CommandLine;
using Tandem.Cli.Commands;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>Usage errors of <c>tandem feedback export</c> and <c>tandem adapters</c>: exit 2 with a message, nothing written.</summary>
public sealed class FeedbackCliTests
{
    private const string Config = """
        providers: [ { name: sim, base_url: "http://127.0.0.1:9/v1" } ]
        deployments: [ { name: gpt, provider: sim, model: gpt-4o-mini } ]
        routes: [ { name: intent, deployment: gpt, capture: full } ]
        """;

    private static async Task<(int Code, string Out)> RunAsync(Command command, params string[] args)
    {
        var root = new RootCommand("test") { command };
        using var output = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, Ct);
        return (code, output.ToString());
    }

    [Theory]
    [InlineData("--route", "nope", "'nope' is not a route")]
    [InlineData("--since", "yesterday", "--since 'yesterday' is not a window")]
    [InlineData("--split", "1.5", "--split must be between 0 and 1")]
    [InlineData("--min-rating", "0", "--min-rating from 1 to 5")]
    public async Task Export_UsageErrors_ExitTwoWithTheReason(string option, string value, string expected)
    {
        using var dir = new TempDir("tandem-export-cli-");
        var config = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(config, Config, Ct);
        var args = new List<string> { "feedback", "export", "--route", "intent", "--out", dir.File("out"), "--config", config };
        var at = args.IndexOf(option);
        if (at >= 0)
        {
            args[at + 1] = value;
        }
        else
        {
            args.AddRange([option, value]);
        }

        var (code, output) = await RunAsync(FeedbackCommand.Create(), [.. args]);

        Assert.Equal(2, code);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public async Task Export_NothingCollected_WritesEmptyFilesAndACard()
    {
        using var dir = new TempDir("tandem-export-cli-");
        var config = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(config, Config, Ct);
        await using (var database = Tandem.Storage.StorageFactory.OpenSqlite(dir.File("tandem.db"), new Tandem.Configuration.StorageConfig()))
        {
            await database.MigrateAsync(Ct);
        }

        var (code, output) = await RunAsync(FeedbackCommand.Create(), "feedback", "export", "--route", "intent", "--out", dir.File("out"), "--config", config);

        Assert.True(code == 0, output);
        Assert.Contains(": 0 train, 0 validation", output, StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(dir.File("out/train.jsonl")).Length);
        Assert.True(File.Exists(dir.File("out/dataset-card.md")));
    }

    [Fact]
    public async Task Adapters_WithoutAdminKeyOrGateway_ExitTwo()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_NO_SUCH_KEY", null);
        var (noKey, noKeyOut) = await RunAsync(AdaptersCommand.Create(), "adapters", "list", "--admin-key-env", "TANDEM_TEST_NO_SUCH_KEY");
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADAPTERS_CLI_KEY", "k");
        var (noGateway, noGatewayOut) = await RunAsync(AdaptersCommand.Create(), "adapters", "list", "--admin-key-env", "TANDEM_TEST_ADAPTERS_CLI_KEY", "--gateway", "http://127.0.0.1:9");

        Assert.Equal((2, 2), (noKey, noGateway));
        Assert.Contains("set the admin key in $TANDEM_TEST_NO_SUCH_KEY", noKeyOut, StringComparison.Ordinal);
        Assert.Contains("cannot reach http://127.0.0.1:9", noGatewayOut, StringComparison.Ordinal);
    }
}
