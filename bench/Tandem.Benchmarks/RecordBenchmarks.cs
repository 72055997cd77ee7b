using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Tandem.Records;

namespace Tandem.Benchmarks;

/// <summary>
/// Record enqueue. Storage is being built elsewhere, so this measures the primitive an <see cref="IRecordSink"/>
/// is expected to use: a bounded <see cref="Channel{T}"/> of <see cref="RequestRecord"/> (single reader, drop
/// when full), TryWrite on the request path plus the background reader's TryRead, and the cost of building the
/// record itself.
/// </summary>
[MemoryDiagnoser]
public class RecordBenchmarks
{
    private static readonly Dictionary<string, string> Tags = new() { ["team"] = "support" };
    private Channel<RequestRecord> _channel = null!;
    private IRecordSink _sink = null!;
    private RequestRecord _record = null!;

    [GlobalSetup]
    public void Setup()
    {
        _channel = Channel.CreateBounded<RequestRecord>(new BoundedChannelOptions(10_000)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.DropWrite,
        });
        _sink = new ChannelSink(_channel.Writer);
        _record = NewRecord();
    }

    [Benchmark(Baseline = true)]
    public bool EnqueueAndDrain()
    {
        var ok = _sink.TryWrite(_record);
        _channel.Reader.TryRead(out _);
        return ok;
    }

    [Benchmark]
    public bool BuildEnqueueAndDrain()
    {
        var ok = _sink.TryWrite(NewRecord());
        _channel.Reader.TryRead(out _);
        return ok;
    }

    private static RequestRecord NewRecord()
    {
        var r = new RequestRecord
        {
            Id = "req_0190a2b4c5d6e7f8a9b0c1d2e3f4a5b6",
            Time = DateTimeOffset.UnixEpoch,
            Key = "bench",
            Route = "bench-0ms",
            Deployment = "bench-fast",
            Decision = "route bench-0ms → bench-fast",
            Stream = false,
            Status = 200,
            OverheadMs = 0.05,
            UpstreamMs = 0.3,
            TotalMs = 0.4,
            PromptTokens = 31,
            CompletionTokens = 110,
            FinishReason = "stop",
            UpstreamModel = "gpt-bench",
            SystemFingerprint = "fp_tandem_sim",
            Tags = Tags,
            EndUser = "bench-user",
        };
        r.Attempts.Add(new AttemptRecord("bench-fast", 200, null, 0.3));
        return r;
    }

    private sealed class ChannelSink(ChannelWriter<RequestRecord> writer) : IRecordSink
    {
        public bool TryWrite(RequestRecord record) => writer.TryWrite(record);
    }
}
