using System.Security.Cryptography;
using Xunit;

namespace Tandem.Core.Tests;

/// <summary>The shared test-data locator (test/Tandem.Tests.Common) finds the repository's fixtures and nothing outside it.</summary>
public sealed class TestDataTests
{
    [Fact]
    public void Locate_FromBelowTheRepositoryRoot_FindsItsTestData()
    {
        using var repo = new TempDir();
        File.WriteAllText(repo.File(TestData.RootMarker), "<Solution />");
        var data = Directory.CreateDirectory(Path.Combine(repo.Path, "test", "TestData")).FullName;
        var deep = Directory.CreateDirectory(Path.Combine(repo.Path, "test", "X.Tests", "bin", "Release", "net10.0")).FullName;

        Assert.Equal(data, TestData.Locate(deep));
    }

    [Fact]
    public void Locate_RepositoryWithoutTestData_ThrowsInsteadOfLookingBeyondIt()
    {
        // An outer folder that looks like a repository with test data must not be used: the search stops at the first root.
        using var outer = new TempDir();
        File.WriteAllText(outer.File(TestData.RootMarker), "<Solution />");
        Directory.CreateDirectory(Path.Combine(outer.Path, "test", "TestData"));
        var inner = Directory.CreateDirectory(Path.Combine(outer.Path, "checkout")).FullName;
        File.WriteAllText(Path.Combine(inner, TestData.RootMarker), "<Solution />");
        var bin = Directory.CreateDirectory(Path.Combine(inner, "bin")).FullName;

        var e = Assert.Throws<DirectoryNotFoundException>(() => TestData.Locate(bin));
        Assert.Contains(inner, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Locate_OutsideAnyRepository_Throws()
    {
        using var dir = new TempDir();
        Assert.Throws<DirectoryNotFoundException>(() => TestData.Locate(dir.Path));
    }

    [Fact]
    public void Root_OfThisTestRun_HoldsTheCommittedFixturesWithTheirLicences()
    {
        Assert.True(File.Exists(Path.Combine(TestData.Root, "..", "..", TestData.RootMarker)));
        foreach (var folder in new[] { "openai-python", "clinc150", "banking77" })
        {
            Assert.True(File.Exists(Path.Combine(TestData.Root, folder, "LICENSE")), folder);
            Assert.True(File.Exists(Path.Combine(TestData.Root, folder, "README.md")), folder);
        }
    }

    [Fact]
    public void OpenAiRecordings_AreByteExact_TheirSha256IsTheirName()
    {
        // The upstream names each recording by the SHA-256 of its bytes: a checkout that rewrote line ends would differ.
        var files = Directory.GetFiles(Path.Combine(TestData.Root, "openai-python"), "*.bin");
        Assert.Equal(3, files.Length);
        Assert.All(files, f => Assert.Equal(Path.GetFileNameWithoutExtension(f), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))));
    }
}
