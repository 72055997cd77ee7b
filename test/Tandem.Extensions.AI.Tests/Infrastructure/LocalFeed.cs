using System.Security;
using Xunit;

namespace Tandem.Extensions.AI.Tests.Infrastructure;

/// <summary>
/// The Tandem packages in a local folder feed, and the examples built from it as a user's app is built: a copy of the
/// example alone in a temporary folder (no project of the repository within reach), restored from the feed.
/// </summary>
/// <remarks>
/// test.sh packs the packages with <c>dotnet pack</c> and names the feed and the version it gave them
/// (<c>TANDEM_TEST_PACKAGES</c>, <c>TANDEM_TEST_PACKAGE_VERSION</c>); run alone, the fixture packs the already built
/// projects itself. Apps restore into a package folder of their own, with the machine's package cache as a fallback
/// folder for everything else: the packages of this run can neither be shadowed by a cached build of the same version
/// nor be left in the machine's cache.
/// </remarks>
public sealed class LocalFeed : IAsyncLifetime
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private readonly TempDir _dir = new("tandem-feed-");

    /// <summary>The folder feed holding the .nupkg files.</summary>
    public string Feed { get; private set; } = "";

    /// <summary>The version the packages were given.</summary>
    public string Version { get; private set; } = "";

    /// <summary>The repository's root folder.</summary>
    public static string RepositoryRoot => Path.GetFullPath(Path.Combine(TestData.Root, "..", ".."));

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(8);

    public async ValueTask InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("TANDEM_TEST_PACKAGES") is { Length: > 0 } feed)
        {
            Feed = feed;
            Version = Environment.GetEnvironmentVariable("TANDEM_TEST_PACKAGE_VERSION")
                ?? throw new InvalidOperationException("TANDEM_TEST_PACKAGES is set without TANDEM_TEST_PACKAGE_VERSION");
        }
        else
        {
            Feed = _dir.File("feed");
            Version = "0.1.0-test." + TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
            await DotNetProcess.RunAsync(RepositoryRoot, new Dictionary<string, string>(), BuildTimeout,
                "pack", Path.Combine(RepositoryRoot, "Tandem.slnx"), "-c", Configuration, "--no-build", "-o", Feed, "-p:Version=" + Version, "-nologo");
        }

        // Read by every restore under this folder (NuGet looks for nuget.config from the project's folder up).
        var machineCache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } cache
            ? cache
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(_dir.File("nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{SecurityElement.Escape(_dir.File("packages"))}" />
              </config>
              <packageSources>
                <add key="tandem-test-feed" value="{SecurityElement.Escape(Feed)}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{SecurityElement.Escape(machineCache)}" />
              </fallbackPackageFolders>
            </configuration>
            """);
    }

    /// <summary>The nuget.config that restores from the feed into this fixture's own package folder.</summary>
    public string NuGetConfig => _dir.File("nuget.config");

    /// <summary>A new empty folder inside this fixture's folder.</summary>
    public string NewFolder(string name) => Directory.CreateDirectory(_dir.File(name)).FullName;

    /// <summary>The path of the <c>.nupkg</c> of <paramref name="id"/>.</summary>
    public string Package(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    /// <summary>
    /// Copies <c>examples/<paramref name="example"/></c> (with the examples' own Directory.Build.props and
    /// Directory.Packages.props, never the repository's) into this fixture's folder, builds it against the feed's
    /// packages, and returns the built app's folder.
    /// </summary>
    public async Task<string> BuildExampleAsync(string example)
    {
        var examples = Path.Combine(RepositoryRoot, "examples");
        var root = Directory.CreateDirectory(_dir.File("apps")).FullName;
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props" })
        {
            File.Copy(Path.Combine(examples, file), Path.Combine(root, file), overwrite: true);
        }

        var source = Path.Combine(examples, example);
        var target = Path.Combine(root, example);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal) || relative.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, relative))!);
            File.Copy(file, Path.Combine(target, relative), overwrite: true);
        }

        await DotNetProcess.RunAsync(target, new Dictionary<string, string>(), BuildTimeout,
            "build", "-c", "Release", "-p:TandemVersion=" + Version, "-nodeReuse:false", "-nologo", "-v:q");
        return Path.Combine(target, "bin", "Release", "net10.0");
    }

    public ValueTask DisposeAsync()
    {
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }
}
