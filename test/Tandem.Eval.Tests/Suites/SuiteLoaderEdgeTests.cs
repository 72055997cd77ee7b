using Tandem.Eval.Suites;
using Xunit;

namespace Tandem.Eval.Tests.Suites;

/// <summary>
/// What a suite file may say and how each mistake is reported (file, line or row, and the reason, asserted whole):
/// the header's place and fields, case ids and their fallbacks, field aliases, per-case templates, CSV columns and
/// short rows, the fingerprint's formula, and an unreadable file.
/// </summary>
public sealed class SuiteLoaderEdgeTests
{
    private static string Write(TempDir dir, string name, string content)
    {
        var path = dir.File(name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Error(string path) => Assert.Throws<SuiteException>(() => SuiteLoader.Load(path)).Message;

    [Fact]
    public void Jsonl_EachMistake_NamesFileLineAndReason()
    {
        using var dir = new TempDir();
        var header = Write(dir, "h.jsonl", "{\"id\":\"1\",\"text\":\"a\",\"label\":\"x\"}\n{\"type\":\"suite\",\"name\":\"late\"}\n");
        var array = Write(dir, "a.jsonl", "\n[1,2]\n");
        var empty = Write(dir, "e.jsonl", "{\"id\":\"1\",\"messages\":[],\"label\":\"x\"}\n");
        var nothing = Write(dir, "n.jsonl", "{\"id\":\"1\",\"text\":\"a\"}\n");
        var duplicate = Write(dir, "d.jsonl", "{\"id\":\"1\",\"text\":\"a\",\"label\":\"x\"}\n{\"id\":\"1\",\"text\":\"b\",\"label\":\"x\"}\n");
        var blank = Write(dir, "b.jsonl", "\n  \n");

        Assert.Equal($"{header}:2: the suite header must come before the cases", Error(header));
        Assert.Equal($"{array}:2: expected a JSON object", Error(array)); // the blank first line still counts
        Assert.Equal($"{empty}:1: 'messages' is empty", Error(empty));
        Assert.Equal($"{nothing}:1: the case has no expectation (label, required_fields, reference or rubric)", Error(nothing));
        Assert.Equal($"{duplicate}: duplicate case id '1'", Error(duplicate));
        Assert.Equal($"{blank}: no cases", Error(blank));
    }

    [Fact]
    public void Jsonl_Ids_StringNumberOrLineNumber_AndAliasesForTextAndLabel()
    {
        using var dir = new TempDir();
        var path = Write(dir, "s.jsonl", """
            {"id":"a1","text":"one","label":"x"}
            {"id":7,"input":"two","intent":"y"}

            {"text":"three","label":"x"}
            {"id":true,"text":"four","label":"y"}
            """);

        var suite = SuiteLoader.Load(path);

        // Line 4 has no id and line 5's id is neither a string nor a number: both take their line number.
        Assert.Equal(["a1", "7", "line-4", "line-5"], suite.Cases.Select(c => c.Id));
        Assert.Equal(["one", "two", "three", "four"], suite.Cases.Select(c => c.Messages.Single().Content));
        Assert.Equal(["x", "y", "x", "y"], suite.Cases.Select(c => c.Label));
        // Without a header the labels are the cases' own, once each, in ordinal order; the name is the file's.
        Assert.Equal(["x", "y"], suite.Labels);
        Assert.Equal("s", suite.Name);
        Assert.Null(suite.Source);
        Assert.Null(suite.Rubric);
    }

    [Fact]
    public void Jsonl_Header_KeepsItsLabelOrderAndSource_AndACaseTemplateOverridesIt()
    {
        using var dir = new TempDir();
        var path = Write(dir, "s.jsonl", """
            {"type":"suite","labels":["z","a",3],"template":"T: {text}","source":"hand-made","rubric":"R"}
            {"id":"1","text":"one","label":"a"}
            {"id":"2","text":"two","label":"z","template":"Own: {text}"}
            {"id":"3","text":"three","reference":"3","rubric":"Mine"}
            """);

        var suite = SuiteLoader.Load(path);

        Assert.Equal("s", suite.Name); // the header names no suite: the file's name
        Assert.Equal(["z", "a"], suite.Labels); // as written, strings only
        Assert.Equal("hand-made", suite.Source);
        Assert.Equal("R", suite.Rubric);
        Assert.Equal(["T: one", "Own: two", "T: three"], suite.Cases.Select(c => c.Messages.Single().Content));
        Assert.Equal("Mine", suite.Cases[2].Rubric);
        Assert.Equal(CaseKind.Generation, suite.Cases[2].Kind);
    }

    [Fact]
    public void Jsonl_RequiredFields_StringsOnly_MakeAnExtractionCase()
    {
        using var dir = new TempDir();
        var path = Write(dir, "s.jsonl", "{\"id\":\"1\",\"text\":\"t\",\"required_fields\":[\"name\",2,\"city\"]}\n");

        var c = SuiteLoader.Load(path).Cases.Single();

        Assert.Equal(CaseKind.Extraction, c.Kind);
        Assert.Equal(["name", "city"], c.RequiredFields);
    }

    [Fact]
    public void Fingerprint_IsSha256OfTheBytesAThenZeroByteAndTheTemplate()
    {
        using var dir = new TempDir();
        var path = Write(dir, "s.jsonl", "{\"id\":\"1\",\"text\":\"a\",\"label\":\"x\"}\n");

        // python3: hashlib.sha256(b'{"id":"1","text":"a","label":"x"}\n' + b'\x00').hexdigest(), then with + b'T: {text}'.
        Assert.Equal("3093201b8e000edfcba51cd8a19bf22e61a379661b04d834d8aa7cf59b92c0e2", SuiteLoader.Load(path).Fingerprint);
        Assert.Equal("11d3af9854d6106fe480d8dfe48dc2c78dfa20e27c5b30f375408524a4d8c165", SuiteLoader.Load(path, "T: {text}").Fingerprint);
    }

    [Fact]
    public void Csv_EachMistake_NamesFileRowAndReason()
    {
        using var dir = new TempDir();
        var empty = Write(dir, "e.csv", "\n\n");
        var noText = Write(dir, "t.csv", "id,label\n1,x\n");
        var emptyText = Write(dir, "r.csv", "id,text,label\n1,hello,x\n2,,x\n");
        var noExpectation = Write(dir, "x.csv", "id,text\n1,hello\n");
        var headerOnly = Write(dir, "h.csv", "id,text,label\n");

        Assert.Equal($"{empty}: empty CSV", Error(empty));
        Assert.Equal($"{noText}: the header needs a 'text' (or 'input', 'prompt') column", Error(noText));
        Assert.Equal($"{emptyText}: row 3: empty text", Error(emptyText)); // the header is row 1
        Assert.Equal($"{noExpectation}: row 2: the case has no expectation (label, required_fields, reference or rubric)", Error(noExpectation));
        Assert.Equal($"{headerOnly}: no cases", Error(headerOnly));
    }

    [Fact]
    public void Csv_ColumnAliases_ShortRows_RowIds_AndRequiredFields()
    {
        using var dir = new TempDir();
        // Upper-case extension and header names: still CSV, still recognised.
        var path = Write(dir, "S.CSV", " Question ,Category,Reference_Answer,Required_Fields,Rubric,ID\n"
            + "q1,,,name; city ;,,\n"
            + "q2,greet\n"
            + "q3,,Paris,,be brief,c3\n");

        var suite = SuiteLoader.Load(path);

        Assert.Equal(["row-1", "row-2", "c3"], suite.Cases.Select(c => c.Id));
        Assert.Equal(["q1", "q2", "q3"], suite.Cases.Select(c => c.Messages.Single().Content));
        Assert.Equal([CaseKind.Extraction, CaseKind.Classification, CaseKind.Generation], suite.Cases.Select(c => c.Kind));
        Assert.Equal(["name", "city"], suite.Cases[0].RequiredFields); // split on ';', trimmed, empties dropped
        Assert.Equal("greet", suite.Cases[1].Label); // a row shorter than the header: the missing cells are empty
        Assert.Equal(("Paris", "be brief"), (suite.Cases[2].Reference, suite.Cases[2].Rubric));
        Assert.Equal(["greet"], suite.Labels);
        Assert.Equal("S", suite.Name);
    }

    [Fact]
    public void UnreadableFile_IsASuiteError_NamingThePath()
    {
        using var dir = new TempDir();
        var path = dir.File("missing.jsonl");

        var e = Assert.Throws<SuiteException>(() => SuiteLoader.Load(path));

        Assert.StartsWith($"{path}: cannot read: ", e.Message, StringComparison.Ordinal);
        Assert.IsType<FileNotFoundException>(e.InnerException);
    }
}
