using BenchmarkDotNet.Attributes;
using Tandem.Routing.Learned;

namespace Tandem.Benchmarks;

/// <summary>
/// Scoring one prompt with the linear router (<c>tiers.scorer: model</c>): a 60-token MMLU-style question against a
/// model of the default size, 2^18 weights (1 MB; seeded random weights, since the cost does not depend on their
/// values).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class LinearRouterBenchmarks
{
    /// <summary>289 characters, 63 words and punctuation marks: a 60-token query.</summary>
    private const string Query =
        "A 45-year-old man presents with chest pain radiating to the left arm, shortness of breath and sweating. " +
        "His ECG shows ST elevation in leads II, III and aVF. Which coronary artery is most likely occluded?\n" +
        "A. Left anterior descending\nB. Left circumflex\nC. Right coronary\nD. Left main\nAnswer:";

    private readonly LinearRouterModel _model = Model();

    [Benchmark]
    public double Score() => _model.Score(Query);

    private static LinearRouterModel Model()
    {
        var random = new Random(1);
        var weights = new float[1 << 18];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)((random.NextDouble() - 0.5) * 0.2);
        }

        return new LinearRouterModel(weights, -0.7f);
    }
}
