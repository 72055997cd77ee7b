using BenchmarkDotNet.Attributes;
using Tandem.Wire;

namespace Tandem.Benchmarks;

/// <summary>
/// SSE relay work per upstream stream, as ProxyHandler.RelayStreamAsync does it: frame each event with
/// <see cref="SseEvents.FindEventEnd"/> and classify it (usage extraction) with <see cref="SseEvents.Inspect"/>.
/// Socket I/O and the copy to the client pipe are not included.
/// </summary>
[MemoryDiagnoser]
public class SseBenchmarks
{
    private byte[] _stream = [];

    [Params("recorded-181-events", "simulator-25-events")]
    public string Stream { get; set; } = "recorded-181-events";

    [GlobalSetup]
    public void Setup() => _stream = Stream.StartsWith("recorded", StringComparison.Ordinal) ? Samples.RecordedStream() : Samples.GeneratedStream(22);

    [Benchmark]
    public int FrameAndInspect()
    {
        var facts = new ResponseFacts();
        var buffer = _stream.AsSpan();
        var forwarded = 0;
        while (true)
        {
            var end = SseEvents.FindEventEnd(buffer);
            if (end < 0)
            {
                break;
            }

            if (SseEvents.Inspect(buffer[..end], facts) == SseDisposition.Forward)
            {
                forwarded++;
            }

            buffer = buffer[end..];
        }

        return forwarded + (facts.Usage?.CompletionTokens ?? 0);
    }
}
