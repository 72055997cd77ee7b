using System.Text.Json;
using Tandem.Eval.Import;
using Tandem.Eval.Suites;
using Xunit;

namespace Tandem.Eval.Tests.Suites;

/// <summary>
/// The importers against the datasets' own file formats: the samples in test/TestData (CLINC150 CC BY 3.0, BANKING77
/// CC BY 4.0), and also the full datasets when TANDEM_DATA_DIR points at them (docs/TESTING.md).
/// </summary>
public sealed class DatasetImporterTests
{
    private static string? FullDatasets => Environment.GetEnvironmentVariable("TANDEM_DATA_DIR") is { Length: > 0 } dir ? dir : null;

    /// <summary>
    /// Datasets directories with what their CLINC150 holds (test rows, intents, oos_test rows): counted from the
    /// sample (test/TestData/clinc150/README.md) and from the full data (its README and paper).
    /// </summary>
    public static TheoryData<string, int, int, int> Clinc150Dirs()
    {
        var data = new TheoryData<string, int, int, int> { { TestData.Datasets, 400, 40, 40 } };
        if (FullDatasets is { } full)
        {
            data.Add(full, 4500, 150, 1000);
        }

        return data;
    }

    /// <summary>Datasets directories with what their BANKING77 test.csv holds (rows, categories).</summary>
    public static TheoryData<string, int, int> Banking77Dirs()
    {
        var data = new TheoryData<string, int, int> { { TestData.Datasets, 200, 20 } };
        if (FullDatasets is { } full)
        {
            data.Add(full, 3080, 77);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Banking77Dirs))]
    public void Banking77_TestCsv_ReadsEveryRowWithARealCsvParser(string dir, int rows, int categories)
    {
        var suite = DatasetImporter.Banking77(dir, "test", null, 42);
        Assert.Equal(rows, suite.Rows.Count);
        Assert.Equal(categories, suite.Labels.Count);
        Assert.Contains("card_arrival", suite.Labels);
        Assert.All(suite.Rows, r => Assert.Contains(r.Label, suite.Labels));
    }

    [Theory]
    [MemberData(nameof(Clinc150Dirs))]
    public void Clinc150_TestSplit_AllRowsAndLabels_SeededShuffle(string dir, int rows, int intents, int oosRows)
    {
        var all = DatasetImporter.Clinc150(dir, "test", null, 42);
        Assert.Equal(rows, all.Rows.Count);
        Assert.Equal(intents, all.Labels.Count);

        var a = DatasetImporter.Clinc150(dir, "test", 300, 7);
        var b = DatasetImporter.Clinc150(dir, "test", 300, 7);
        var c = DatasetImporter.Clinc150(dir, "test", 300, 8);
        Assert.Equal(a.Rows, b.Rows);
        Assert.NotEqual(a.Rows, c.Rows);
        Assert.Equal(intents, a.Labels.Count); // the prompt lists every intent, not only those drawn

        // Shuffled, not the first 300 rows of the file (which is grouped by intent, so those cover few intents:
        // 10 of the full data's, 30 of the sample's).
        using var file = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "clinc150", "data_full.json")));
        var inFileOrder = file.RootElement.GetProperty("test").EnumerateArray().Take(300).Select(r => r[1].GetString()).Distinct().Count();
        Assert.True(a.Rows.Select(r => r.Label).Distinct().Count() > inFileOrder);

        var oos = DatasetImporter.Clinc150(dir, "test", null, 42, includeOutOfScope: true);
        Assert.Equal(rows + oosRows, oos.Rows.Count);
        Assert.Equal(intents + 1, oos.Labels.Count);
        Assert.Contains("oos", oos.Labels);
    }

    [Fact]
    public void Banking77_QuotedFields_EscapedQuotesAndLineBreaksSurvive()
    {
        // Rows of test/TestData/banking77/test.csv written with RFC 4180 quoting ("" inside, line breaks inside).
        var rows = DatasetImporter.Banking77(TestData.Datasets, "test", null, 1).Rows.ToDictionary(r => r.Text, r => r.Label, StringComparer.Ordinal);

        Assert.Equal("automatic_top_up", rows["Where can I find the \"auto-top\" feature?"]);
        Assert.Equal("pin_blocked", rows["\nWhere can I get my PIN unblocked?"]);
        Assert.Equal("card_acceptance", rows["\n\nWhat businesses accept this card?"]);
        Assert.Equal("card_arrival", rows["I still have not received my new card, I ordered over a week ago."]);
    }

    [Fact]
    public void WriteSuite_RoundTripsThroughSuiteLoader()
    {
        using var dir = new TempDir();
        var imported = DatasetImporter.Banking77(TestData.Datasets, "test", 50, 1);
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
        Assert.Throws<ArgumentException>(() => DatasetImporter.Clinc150(TestData.Datasets, "dev", null, 1));
    }
}
