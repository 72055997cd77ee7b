using System.Text;
using BenchmarkDotNet.Attributes;
using Tandem.Classification;
using Tandem.Configuration;
using Tandem.Routing;
using Tandem.Runtime;

namespace Tandem.Benchmarks;

/// <summary>
/// The local stage's hot path: classifying one query with a CLINC150-sized intent classifier (151 labels, 60,000
/// n-grams, every feature of the query known so that each adds its row: the worst case; seeded random weights, since
/// the cost does not depend on their values), the same wrapped in a 2,000-character prompt template, and the whole
/// decision from a request body (the last user message read from the JSON, then classified).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class IntentClassifierBenchmarks
{
    /// <summary>A typical CLINC150 query: 9 words.</summary>
    private const string Query = "how long will it take for my new card to arrive";

    private static readonly string Template = "Classify the customer's message into exactly one of the intents listed below.\n" + new string('x', 2000) + "\n\nMessage: ";

    private readonly string _wrapped = Template + Query;
    private readonly IntentClassifier _plain = Model("");
    private readonly IntentClassifier _templated = Model(Template);
    private readonly LocalStage _stage;
    private readonly byte[] _body;

    public IntentClassifierBenchmarks()
    {
        var path = Path.Combine(Path.GetTempPath(), "tandem-bench-" + Environment.ProcessId + ".intents");
        IntentModelFile.Save(_templated, path);
        _stage = LocalStage.For(new RouteConfig { Name = "r", Deployment = "d", Local = new LocalStageConfig { Classifier = path, Threshold = 0.9 } }, RandomSource.Seeded(1))!;
        File.Delete(path);
        _body = Encoding.UTF8.GetBytes($$"""{"model":"intents","messages":[{"role":"system","content":"You classify."},{"role":"user","content":{{System.Text.Json.JsonSerializer.Serialize(Template + Query)}}}]}""");
    }

    [Benchmark(Baseline = true)]
    public IntentPrediction Predict() => _plain.Predict(Query);

    [Benchmark]
    public IntentPrediction PredictInTemplate() => _templated.Predict(_wrapped);

    [Benchmark]
    public LocalDecision DecideFromBody() => _stage.Decide(_body);

    private static IntentClassifier Model(string prefix)
    {
        const int Labels = 151;
        const int Features = 60_000;
        var random = new Random(1);
        var known = new HashSet<uint>();
        var sink = new Collect(known);
        IntentFeatures.Read(Query, ref sink);
        while (known.Count < Features)
        {
            known.Add((uint)random.NextInt64(0, uint.MaxValue));
        }

        var features = known.Order().ToArray();
        var weights = new float[Features * Labels];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)((random.NextDouble() - 0.5) * 2);
        }

        var idf = Enumerable.Range(0, Features).Select(_ => (float)(1 + (random.NextDouble() * 8))).ToArray();
        return new IntentClassifier([.. Enumerable.Range(0, Labels).Select(i => "intent_" + i)], features, idf, weights, new float[Labels],
            new IntentCalibration(0.9, 0.99, 0.99, 0.7), prefix);
    }

    private readonly struct Collect(HashSet<uint> set) : IIntentFeatureSink
    {
        public void Add(uint hash) => set.Add(hash);
    }
}
