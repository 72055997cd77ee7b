using Tandem.Extensions.AI.Tests.Infrastructure;
using Xunit;

namespace Tandem.Extensions.AI.Tests;

/// <summary>
/// The <c>tandem</c> CLI as a .NET tool: the package <c>dotnet pack</c> makes (test.sh) installed from a local folder
/// feed with <c>dotnet tool install --tool-path</c>, as a user installs it, and its demo run once. Beside the example
/// builds (same collection), which also take the machine's cores.
/// </summary>
[Collection(nameof(ExampleAppTests))]
public sealed class ToolPackageTests(LocalFeed feed) : IClassFixture<LocalFeed>
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task ToolPackage_InstalledFromAFolderFeed_DemoOnceAnswersOnBothRoutes()
    {
        var tools = feed.NewFolder("tools");
        await DotNetProcess.RunAsync(tools, new Dictionary<string, string>(), InstallTimeout,
            "tool", "install", "tandem", "--tool-path", tools, "--add-source", feed.Feed, "--configfile", feed.NuGetConfig, "--version", feed.Version);

        var (code, output) = await DotNetProcess.RunExecutableAsync(Path.Combine(tools, "tandem"), feed.NewFolder("work"), TimeSpan.FromMinutes(2), "demo", "--once");

        Assert.True(code == 0, output);
        Assert.Contains("intent: 200 from proprietary: ", output, StringComparison.Ordinal);
        Assert.Contains("support-chat: 200 from self-hosted: ", output, StringComparison.Ordinal);
        Assert.Contains("demo: every route answered", output, StringComparison.Ordinal);
    }
}
