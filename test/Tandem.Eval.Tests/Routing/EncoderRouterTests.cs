using Tandem.Eval.Routing;
using Tandem.Routing.Encoder;
using Xunit;

namespace Tandem.Eval.Tests.Routing;

public sealed class EncoderRouterTests
{
    private static float[] Embed(string text)
    {
        var e = new float[384];
        MiniLmEncoder.Shared.Encode(text, e);
        return e;
    }

    private static double Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    [Fact]
    public void MiniLm_GivesUnitLengthEmbeddings_ParaphrasesCloserThanUnrelatedText_SameTextSameEmbedding()
    {
        var reset = Embed("How do I reset my password?");
        var forgot = Embed("I forgot my password, how can I change it?");
        var weather = Embed("The weather in Paris is sunny today.");

        Assert.Equal(384, MiniLmEncoder.Shared.Dimensions);
        Assert.Equal(1.0, Math.Sqrt(Cosine(reset, reset)), 5);
        Assert.True(Cosine(reset, forgot) > 0.6, $"paraphrases: {Cosine(reset, forgot)}");
        Assert.True(Cosine(reset, weather) < 0.2, $"unrelated: {Cosine(reset, weather)}");
        Assert.Equal(reset, Embed("How do I reset my password?"));
    }

    [Fact]
    public void MiniLm_TextLongerThanTheModelTakes_IsCutNotRefused()
    {
        var words = string.Join(' ', Enumerable.Repeat("routing", 2000));
        var e = Embed(words);
        Assert.Equal(1.0, Math.Sqrt(Cosine(e, e)), 5);
    }

    [Fact]
    public void Train_SeparableEmbeddings_HeadScoresEachSideOfTheLine_AndIsDeterministic()
    {
        // Dimension 0 decides: +1 needs the strong model, −1 does not; dimension 1 is noise from a seeded generator.
        var random = new Random(3);
        var embeddings = Enumerable.Range(0, 200).Select(i => new[] { i % 2 == 0 ? 1f : -1f, (float)random.NextDouble() - 0.5f }).ToArray();
        var targets = Enumerable.Range(0, 200).Select(i => i % 2 == 0 ? 1.0 : 0.0).ToArray();
        var options = new EncoderRouterOptions();

        var head = EncoderRouterTrainer.Train("toy-2", embeddings, targets, options);
        var again = EncoderRouterTrainer.Train("toy-2", embeddings, targets, options);

        Assert.True(head.Score([1f, 0f]) > 0.9, head.Score([1f, 0f]).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(head.Score([-1f, 0f]) < 0.1, head.Score([-1f, 0f]).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(head.Version, again.Version);
        Assert.NotEqual(head.Version, EncoderRouterTrainer.Train("toy-2", embeddings, targets, options with { Seed = 7 }).Version);
    }

    [Fact]
    public void TrainEncoder_OnHardAndEasyPrompts_RanksUnseenHardPromptsAboveEasyOnes()
    {
        // Topic decides: maths proofs need the strong model, small talk does not. Held-out prompts are new sentences.
        string[] hard = ["Prove that the square root of two is irrational.", "Derive the closed form of the geometric series.", "Show that every bounded monotone sequence converges.",
            "Prove there are infinitely many primes.", "Derive the quadratic formula by completing the square.", "Show the sum of the angles of a triangle is 180 degrees."];
        string[] easy = ["What a lovely day it is, isn't it?", "Thanks so much for your help!", "Good morning, how are you doing?",
            "Have a nice weekend with your family.", "I really enjoyed our chat yesterday.", "See you tomorrow at lunch."];
        var train = hard.Select(t => new RouterExample(t, false, true)).Concat(easy.Select(t => new RouterExample(t, true, true))).ToList();

        var head = EncoderRouterTrainer.Train(MiniLmEncoder.Shared, train, new EncoderRouterOptions { Epochs = 200 });

        var unseenHard = head.Score(Embed("Prove that the product of two odd numbers is odd."));
        var unseenEasy = head.Score(Embed("Hello there, nice to meet you!"));
        Assert.True(unseenHard > unseenEasy + 0.2, $"hard {unseenHard}, easy {unseenEasy}");
        Assert.Equal(MiniLmEncoder.EncoderName, head.Encoder);
    }
}
