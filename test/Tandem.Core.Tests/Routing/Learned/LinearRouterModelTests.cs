using Tandem.Routing.Learned;
using Xunit;

namespace Tandem.Core.Tests.Routing.Learned;

public sealed class LinearRouterModelTests
{
    private struct CountSink : IFeatureSink
    {
        public int Count;

        public void Add(uint hash) => Count++;
    }

    private static int Count(string text)
    {
        var sink = new CountSink();
        var n = HashedNgrams.Read(text, ref sink);
        Assert.Equal(n, sink.Count);
        return n;
    }

    [Theory]
    // " ab cd " (padded): trigrams " ab","ab ","b c"," cd","cd " = 5; words ab, cd = 2; bigram ab_cd = 1.
    [InlineData("ab cd", 8)]
    // White space collapses and the padding absorbs it: " ab " has 2 trigrams; one word, no bigram.
    [InlineData("  Ab \t\n ", 3)]
    // " x " has one trigram; one word.
    [InlineData("x", 2)]
    // " a,b " has 3 trigrams; words a and b and their bigram.
    [InlineData("a,b", 6)]
    [InlineData("", 0)]
    [InlineData("   ", 0)]
    public void Read_CountsWordsBigramsAndTrigrams(string text, int expected)
    {
        Assert.Equal(expected, Count(text));
    }

    [Fact]
    public void Read_IsCaseInsensitive_AndTellsDifferentTextsApart()
    {
        Assert.Equal(Hashes("Explain The Proof"), Hashes("explain the proof"));
        Assert.NotEqual(Hashes("explain the proof"), Hashes("proof the explain"));
    }

    [Fact]
    public void Score_IsTheLogisticOfBiasPlusWeightSumOverSqrtN()
    {
        // Every weight 0.5, bias -1: "ab cd" has 8 features, logit = -1 + 8 * 0.5 / sqrt(8) = 0.414214, whose
        // logistic is 0.602098; an empty text is the bias alone, logistic(-1) = 0.268941 (worked out by hand).
        var model = new LinearRouterModel(Enumerable.Repeat(0.5f, 1024).ToArray(), -1f);

        Assert.Equal(0.602098, model.Score("ab cd"), 6);
        Assert.Equal(0.268941, model.Score(""), 6);
    }

    [Fact]
    public void SaveLoad_RoundTrips_WeightsAndVersion_AndTheVersionFollowsTheContent()
    {
        var weights = Enumerable.Range(0, 1024).Select(i => (i % 7) * 0.01f).ToArray();
        var model = new LinearRouterModel(weights, 0.25f);
        var path = Path.GetTempFileName();
        try
        {
            using (var file = File.Create(path))
            {
                model.Save(file);
            }

            var loaded = LinearRouterModel.Load(path);

            Assert.Equal(20 + (1024 * 4), new FileInfo(path).Length);
            Assert.Equal(model.Version, loaded.Version);
            Assert.Matches("^lr-[0-9a-f]{12}$", loaded.Version);
            Assert.Equal(model.Score("why is the sky blue"), loaded.Score("why is the sky blue"));
            Assert.Equal((10, 0.25f), (loaded.Bits, loaded.Bias));
            weights[3] += 0.001f;
            Assert.NotEqual(model.Version, new LinearRouterModel(weights, 0.25f).Version);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_NotAModelOrDamaged_SaysWhat()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "prompt,weak,strong\nhello,True,True\n");
            Assert.Equal($"'{path}' is not a Tandem router model (no TNDMLR01 header)", Assert.Throws<InvalidDataException>(() => LinearRouterModel.Load(path)).Message);

            using (var file = File.Create(path))
            {
                new LinearRouterModel(new float[1024], 0).Save(file);
            }

            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..^4]);
            Assert.Equal($"'{path}' is truncated or damaged (hash bits 10, 4112 bytes)", Assert.Throws<InvalidDataException>(() => LinearRouterModel.Load(path)).Message);

            bytes[8] = 2;
            File.WriteAllBytes(path, bytes);
            Assert.Equal($"'{path}' has model format 2; this Tandem reads format 1", Assert.Throws<InvalidDataException>(() => LinearRouterModel.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static List<uint> Hashes(string text)
    {
        var sink = new ListSink { Hashes = [] };
        HashedNgrams.Read(text, ref sink);
        return sink.Hashes;
    }

    private struct ListSink : IFeatureSink
    {
        public List<uint> Hashes;

        public readonly void Add(uint hash) => Hashes.Add(hash);
    }
}
