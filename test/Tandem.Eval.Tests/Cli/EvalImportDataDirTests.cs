using Xunit;

namespace Tandem.Eval.Tests.Cli;

/// <summary>Tests that set TANDEM_DATA_DIR, which the process shares: they run alone, never beside another test.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

/// <summary>Where <c>tandem eval import</c> finds the datasets: <c>--data</c>, else TANDEM_DATA_DIR, never a guessed folder.</summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class EvalImportDataDirTests
{
    private const string Variable = "TANDEM_DATA_DIR";

    private static async Task<(int Code, string Output)> WithDataDirAsync(string? value, params string[] args)
    {
        var saved = Environment.GetEnvironmentVariable(Variable);
        Environment.SetEnvironmentVariable(Variable, value);
        try
        {
            return await EvalCommandTests.RunAsync(args);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Variable, saved);
        }
    }

    [Theory]
    [InlineData("clinc150", "https://github.com/clinc/oos-eval")]
    [InlineData("banking77", "https://github.com/PolyAI-LDN/task-specific-datasets")]
    public async Task Import_NeitherDataNorTandemDataDir_ExitsTwoAndSaysHowToGetTheDataset(string dataset, string source)
    {
        using var dir = new TempDir();
        var (code, output) = await WithDataDirAsync(null, "eval", "import", dataset, "--out", dir.File("suite.jsonl"));

        Assert.True(code == 2, output);
        Assert.Contains("--data", output, StringComparison.Ordinal);
        Assert.Contains(Variable, output, StringComparison.Ordinal);
        Assert.Contains(source, output, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("suite.jsonl")));
    }

    [Fact]
    public async Task Import_TandemDataDirSet_IsUsedWithoutData()
    {
        using var dir = new TempDir();
        var (code, output) = await WithDataDirAsync(TestData.Datasets, "eval", "import", "banking77", "--limit", "7", "--out", dir.File("suite.jsonl"));

        Assert.True(code == 0, output);
        Assert.Contains("wrote 7 cases, 20 labels", output, StringComparison.Ordinal); // the sample has 20 categories
        Assert.Equal(8, File.ReadAllLines(dir.File("suite.jsonl")).Length);            // header + 7 cases
    }

    [Fact]
    public async Task Import_DataOption_WinsOverTandemDataDir()
    {
        using var empty = new TempDir();
        using var dir = new TempDir();
        var (code, output) = await WithDataDirAsync(empty.Path, "eval", "import", "clinc150", "--limit", "3", "--data", TestData.Datasets, "--out", dir.File("suite.jsonl"));

        Assert.True(code == 0, output);
        Assert.Contains("wrote 3 cases, 40 labels", output, StringComparison.Ordinal); // the sample has 40 intents
    }

    [Fact]
    public async Task Import_DataDirWithoutTheDataset_ExitsTwoAndSaysWhereToGetIt()
    {
        using var empty = new TempDir();
        var (code, output) = await WithDataDirAsync(null, "eval", "import", "clinc150", "--data", empty.Path, "--out", empty.File("suite.jsonl"));

        Assert.True(code == 2, output);
        Assert.Contains("data_full.json", output, StringComparison.Ordinal);
        Assert.Contains("https://github.com/clinc/oos-eval", output, StringComparison.Ordinal);
    }
}
