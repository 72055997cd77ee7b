using Tandem.Eval.Import;
using Tandem.Eval.Suites;
using Tandem.Eval.Tests.Infrastructure;
using Xunit;

namespace Tandem.Eval.Tests.Suites;

/// <summary>Against the real datasets in ../shared/datasets (CLINC150 CC BY 3.0, BANKING77 CC BY 4.0).</summary>
public sealed class DatasetImporterTests
{
    [Fact]
    public void Banking77_TestCsv_ReadsEveryRowWithARealCsvParser()
    {
        var suite = DatasetImporter.Banking77(SharedData.Datasets, "test", null, 42);
        Assert.Equal(3080, suite.Rows.Count);
        Assert.Equal(77, suite.Labels.Count);
        Assert.Contains("card_arrival", suite.Labels);
        Assert.All(suite.Rows, r => Assert.Contains(r.Label, suite.Labels));
    }

    [Fact]
    public void Clinc150_TestSplit_AllRowsAndLabels_SeededShuffle()
    {
        var all = DatasetImporter.Clinc150(SharedData.Datasets, "test", null, 42);
        Assert.Equal(4500, all.Rows.Count);
        Assert.Equal(150, all.Labels.Count);

        var a = DatasetImporter.Clinc150(SharedData.Datasets, "test", 300, 7);
        var b = DatasetImporter.Clinc150(SharedData.Datasets, "test", 300, 7);
        var c = DatasetImporter.Clinc150(SharedData.Datasets, "test", 300, 8);
        Assert.Equal(a.Rows, b.Rows);
        Assert.NotEqual(a.Rows, c.Rows);
        Assert.True(a.Rows.Select(r => r.Label).Distinct().Count() > 100); // shuffled, not the first intents of the file
        Assert.Equal(150, a.Labels.Count);                                 // the prompt lists every intent

        var oos = DatasetImporter.Clinc150(SharedData.Datasets, "test", null, 42, includeOutOfScope: true);
        Assert.Equal(5500, oos.Rows.Count);
        Assert.Contains("oos", oos.Labels);
    }

    [Fact]
    public void WriteSuite_RoundTripsThroughSuiteLoader()
    {
        using var dir = new TempDir();
        var imported = DatasetImporter.Banking77(SharedData.Datasets, "test", 50, 1);
        var path = dir.File("banking.jsonl");
        DatasetImporter.WriteSuite(imported, path);

        var suite = SuiteLoader.Load(path);

        Assert.Equal(50, suite.Cases.Count);
        Assert.Equal(imported.Labels, suite.Labels);
        Assert.Contains("BANKING77", suite.Source, StringComparison.Ordinal);
        var first = suite.Cases[0];
        Assert.Equal(imported.Rows[0].Label, first.Label);
        Assert.EndsWith("Message: " + imported.Rows[0].Text, first.Messages.Single().Content, StringComparison.Ordinal);
        Assert.Contains("card_arrival, ", first.Messages.Single().Content, StringComparison.Ordinal);
    }

    [Fact]
    public void Clinc150_UnknownSplit_Throws()
    {
        Assert.Throws<ArgumentException>(() => DatasetImporter.Clinc150(SharedData.Datasets, "dev", null, 1));
    }
}
