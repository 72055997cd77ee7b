using BenchmarkDotNet.Attributes;
using Tandem.Buffers;
using Tandem.Wire;

namespace Tandem.Benchmarks;

/// <summary>Request parse and rewrite: <see cref="ApiRequest.Parse"/> then <see cref="ApiRequest.WriteUpstreamBody"/>.</summary>
[MemoryDiagnoser]
public class RequestBenchmarks
{
    private byte[] _body = [];

    [Params("small", "small-stream", "large")]
    public string Body { get; set; } = "small";

    [GlobalSetup]
    public void Setup() => _body = Body switch
    {
        "small-stream" => Samples.SmallChatStream,
        "large" => Samples.LargeChat,
        _ => Samples.SmallChat,
    };

    [Benchmark]
    public ApiRequest? Parse() => ApiRequest.Parse(_body, ApiOperation.ChatCompletions, out _);

    [Benchmark]
    public int ParseAndRewrite()
    {
        var request = ApiRequest.Parse(_body, ApiOperation.ChatCompletions, out _)!;
        using var upstream = new PooledBufferWriter(_body.Length + 64);
        request.WriteUpstreamBody(_body, "gpt-4o-mini-2024-07-18", forceUsage: true, upstream);
        return upstream.WrittenCount;
    }
}
