using Tandem.Eval.Suites;
using Tandem.Eval.Tests.Infrastructure;
using Xunit;

namespace Tandem.Eval.Tests.Suites;

public sealed class SuiteLoaderTests
{
    [Fact]
    public void Load_JsonlWithHeader_FillsTemplateAndInfersKinds()
    {
        using var dir = new TempDir();
        var path = dir.File("suite.jsonl");
        File.WriteAllText(path, """
            {"type":"suite","name":"mixed","template":"Classify: {text}","system":"You classify.","labels":["a","b","c"],"rubric":"Be exact."}
            {"id":"1","text":"first","label":"a"}
            {"id":"2","messages":[{"role":"user","content":"Give JSON"}],"required_fields":["name","city"]}
            {"id":"3","text":"Capital of France?","reference":"Paris"}

            """);

        var suite = SuiteLoader.Load(path);

        Assert.Equal("mixed", suite.Name);
        Assert.Equal(["a", "b", "c"], suite.Labels);
        Assert.Equal([CaseKind.Classification, CaseKind.Extraction, CaseKind.Generation], suite.Cases.Select(c => c.Kind));
        Assert.Equal(["system", "user"], suite.Cases[0].Messages.Select(m => m.Role));
        Assert.Equal("Classify: first", suite.Cases[0].Messages[1].Content);
        Assert.Equal("Give JSON", suite.Cases[1].Messages.Single().Content);
        Assert.Equal(["name", "city"], suite.Cases[1].RequiredFields);
        Assert.Equal("Be exact.", suite.Cases[2].Rubric);
        Assert.Equal("Paris", suite.Cases[2].Reference);
    }

    [Fact]
    public void Load_Csv_UsesTemplateAndLabelsFromCases()
    {
        using var dir = new TempDir();
        var path = dir.File("suite.csv");
        File.WriteAllText(path, "id,text,label\nx1,\"hello, there\",greet\nx2,\"bye\nnow\",farewell\n");

        var suite = SuiteLoader.Load(path, "Intent of: {text}");

        Assert.Equal(["farewell", "greet"], suite.Labels);
        Assert.Equal("Intent of: bye\nnow", suite.Cases[1].Messages.Single().Content);
        Assert.NotEqual(SuiteLoader.Load(path).Fingerprint, suite.Fingerprint); // the template is part of the identity
    }

    [Theory]
    [InlineData("{\"id\":\"1\",\"text\":\"a\",\"label\":\"x\"}\n{\"id\":\"1\",\"text\":\"b\",\"label\":\"y\"}\n", "duplicate case id")]
    [InlineData("{\"id\":\"1\",\"text\":\"a\"}\n", "no expectation")]
    [InlineData("{\"id\":\"1\",\"label\":\"x\"}\n", "needs 'messages' or 'text'")]
    [InlineData("not json\n", ":1: not valid JSON")]
    [InlineData("\n", "no cases")]
    public void Load_InvalidSuite_ThrowsWithLocation(string content, string message)
    {
        using var dir = new TempDir();
        var path = dir.File("bad.jsonl");
        File.WriteAllText(path, content);
        var e = Assert.Throws<SuiteException>(() => SuiteLoader.Load(path));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
