using Tandem.Eval.Routing;
using Xunit;

namespace Tandem.Eval.Tests.Routing;

public sealed class RouterDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-router-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Read_RouteLlmCsvDirectoryAndJsonl_InNameOrder_LeavingOutExcludedPrompts()
    {
        File.WriteAllText(Path.Combine(_dir, "b.csv"), "prompt,mistralai/Mixtral-8x7B-Instruct-v0.1,gpt-4-1106-preview\n\"Two\nlines, with a comma\nAnswer:\",False,True\nplain,True,False\nboth wrong,False,False\n");
        File.WriteAllText(Path.Combine(_dir, "a.jsonl"), "{\"prompt\":\"from json\",\"weak_good\":false}\n\n{\"prompt\":\"contaminated\",\"weak_good\":true,\"strong_good\":true}\n");
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "ignored");
        var exclude = Path.Combine(_dir, "x.json");
        File.WriteAllText(exclude, "{\"train_prompt\":\"something else\",\"eval_prompt\":\"contaminated\",\"eval_idx\":3}\n");

        var rows = RouterData.Read(_dir, exclude);

        Assert.Equal(
            [new RouterExample("from json", false, null), new RouterExample("Two\nlines, with a comma\nAnswer:", false, true), new RouterExample("plain", true, false), new RouterExample("both wrong", false, false)],
            rows);

        // The strong model is needed where the weak one fails and the strong one does not (or is not known to).
        Assert.Equal([true, true, false, false], rows.Select(r => r.NeedsStrong));
    }

    [Fact]
    public void Read_BadRows_NameFileAndRow()
    {
        var csv = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(csv, "prompt,weak,strong\nq,maybe,True\n");
        var jsonl = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllText(jsonl, "{\"prompt\":\"q\"}\n");

        Assert.Equal($"{csv}: row 2: 'maybe' is not True or False", Assert.Throws<InvalidDataException>(() => RouterData.Read(csv)).Message);
        Assert.Equal($"{jsonl}: line 1 needs a string 'prompt' and a boolean 'weak_good'", Assert.Throws<InvalidDataException>(() => RouterData.Read(jsonl)).Message);
    }
}
