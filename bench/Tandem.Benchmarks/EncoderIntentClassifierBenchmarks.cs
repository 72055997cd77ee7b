using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Tandem.Classification;
using Tandem.Routing.Encoder;

namespace Tandem.Benchmarks;

/// <summary>
/// Classifying one query with the encoder intent kind (a route's <c>local:</c> stage with a <c>--kind encoder</c>
/// model), batch 1: a CLINC150-sized head (150 labels × 384 dimensions) behind all-MiniLM-L6-v2 on ONNX Runtime with
/// one intra-op thread, as the gateway runs it. The query arrives wrapped in a route's template, which the model strips
/// before encoding, as served. The weights are seeded random numbers: the time depends on the shapes, not the values.
/// Each measured iteration is one call: 200 calls after 10 warm-up calls, so the median and the 99th percentile are
/// those of single calls. Run it without <c>--job</c>: <c>--filter '*EncoderIntentClassifier*'</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(SingleCallConfig))]
public class EncoderIntentClassifierBenchmarks
{
    private const string Template = "Classify the user's message into one of the assistant's 150 intents. Reply with the intent only.\n\nMessage: ";

    /// <summary>A CLINC150 test query (11 words, 13 WordPiece tokens with [CLS] and [SEP]).</summary>
    private const string Query = "how much money do i have in my checking account right now";

    private EncoderIntentClassifier _model = null!;

    [GlobalSetup]
    public void Setup()
    {
        const int D = 384, K = 150;
        var random = new Random(1);
        var weights = new float[D * K];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)((random.NextDouble() - 0.5) * 0.2);
        }

        var labels = Enumerable.Range(0, K).Select(i => "intent" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        _model = new EncoderIntentClassifier(MiniLmEncoder.EncoderName, D, labels, weights, new float[K], new IntentCalibration(0.9, 0.99, 0.99, 0.7), Template, "");
        _ = MiniLmEncoder.Shared;
    }

    /// <summary>What the local stage pays per query: strip the template, encode, the 150-label head.</summary>
    [Benchmark]
    public double Classify() => _model.Predict(Template + Query, MiniLmEncoder.Shared).Confidence;
}
