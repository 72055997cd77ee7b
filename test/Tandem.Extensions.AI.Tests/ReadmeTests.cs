using Tandem.Extensions.AI.Tests.Infrastructure;
using Xunit;

namespace Tandem.Extensions.AI.Tests;

/// <summary>The README's in-process sample is the console example, which ExampleAppTests builds and runs: so it compiles and works.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public void InProcessSection_ShowsTheConsoleExample_Verbatim()
    {
        var readme = File.ReadAllText(Path.Combine(LocalFeed.RepositoryRoot, "README.md")).ReplaceLineEndings("\n");
        var section = readme.IndexOf("\n## In process (.NET)\n", StringComparison.Ordinal);
        Assert.True(section >= 0, "README has no section \"In process (.NET)\"");
        var start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
        var end = readme.IndexOf("```\n", start, StringComparison.Ordinal);
        Assert.True(start > section && end > start && end < readme.IndexOf("\n## ", section + 1, StringComparison.Ordinal), "the section has no C# sample");

        var program = File.ReadAllText(Path.Combine(LocalFeed.RepositoryRoot, "examples", "InProcessConsole", "Program.cs")).ReplaceLineEndings("\n");
        Assert.Equal(program, readme[start..end]);
    }
}
