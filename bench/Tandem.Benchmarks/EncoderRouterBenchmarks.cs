using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Tandem.Routing;
using Tandem.Routing.Encoder;
using Tandem.Routing.Learned;

namespace Tandem.Benchmarks;

/// <summary>
/// Scoring one prompt with the encoder router (<c>tiers.scorer: model</c> with an encoder head), batch 1: the same
/// 60-token query as <see cref="LinearRouterBenchmarks"/> through all-MiniLM-L6-v2 on ONNX Runtime (one intra-op
/// thread, as the gateway runs it) and a 384-weight logistic head. Each measured iteration is one call (batch 1), so
/// the median and the 99th percentile are those of single calls: 200 calls after 10 warm-up calls. Run it without
/// <c>--job</c> (the job, in process, is set here): <c>--filter '*EncoderRouter*'</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(SingleCallConfig))]
public class EncoderRouterBenchmarks
{
    private const string Query =
        "A 45-year-old man presents with chest pain radiating to the left arm, shortness of breath and sweating. " +
        "His ECG shows ST elevation in leads II, III and aVF. Which coronary artery is most likely occluded?\n" +
        "A. Left anterior descending\nB. Left circumflex\nC. Right coronary\nD. Left main\nAnswer:";

    private readonly float[] _embedding = new float[384];
    private EncoderModelScorer _scorer = null!;
    private RequestView _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        var weights = new float[384];
        var random = new Random(1);
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)((random.NextDouble() - 0.5) * 0.2);
        }

        _scorer = new EncoderModelScorer(new EncoderRouterModel(MiniLmEncoder.EncoderName, weights, -0.7f), MiniLmEncoder.Shared);
        _request = RequestView.For("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":" + System.Text.Json.JsonSerializer.Serialize(Query, BenchJson.Default.String) + "}]}");
        _ = _request.Text;
    }

    /// <summary>The encoder alone: tokens, transformer, mean pooling.</summary>
    [Benchmark]
    public float Encode()
    {
        MiniLmEncoder.Shared.Encode(Query, _embedding);
        return _embedding[0];
    }

    /// <summary>What a routing decision pays: encode, then the head.</summary>
    [Benchmark]
    public double Score() => _scorer.Score(_request);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class BenchJson : System.Text.Json.Serialization.JsonSerializerContext;
