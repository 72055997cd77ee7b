using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Tandem.Configuration;
using Tandem.Extensions.AI;
using Tandem.Records;

namespace Tandem.Benchmarks;

/// <summary>
/// What <see cref="TandemChatClient"/> adds to a non-streaming call (issue 17's targets: at most 5 µs and 1 KB per call),
/// over a fake inner <see cref="IChatClient"/> that returns one canned <see cref="ChatResponse"/> (so the inner client
/// costs nothing): <c>Direct</c> calls the fake alone; <c>Tandem</c> goes through the middleware with a one-deployment
/// route (write the OpenAI body, parse it, decide, the seam's limiter, Polly pipeline and deadline, classification,
/// record with cost, metrics) and hands records to a sink that keeps nothing; <c>TandemSplit</c> names a sticky 50/50
/// split route in <see cref="ChatOptions.ModelId"/> instead (Core's split decision, and the caller's options cloned to
/// give the deployment its own model). Subtract <c>Direct</c> to read the overhead. The storage writer's enqueue
/// (RecordBenchmarks) comes on top.
/// </summary>
[MemoryDiagnoser]
public class InProcessBenchmarks
{
    private static readonly List<ChatMessage> Messages =
    [
        new(ChatRole.System, "You are a concise assistant for a support team."),
        new(ChatRole.User, "Summarise in one paragraph why a team would put a gateway in front of its LLM providers."),
    ];

    private static readonly ChatOptions SplitOptions = new() { ModelId = "split", AdditionalProperties = new() { ["user"] = "bench-user" } };

    private CannedClient _fake = null!;
    private IChatClient _tandem = null!;

    [GlobalSetup]
    public void Setup()
    {
        _fake = new CannedClient();
        var options = new TandemChatClientOptions { UseStorage = false, Records = new NoSink(), Route = "chat", InnerDeployment = "fake" }
            .AddDeployment(new DeploymentConfig { Name = "other" }, new CannedClient())
            .AddRoute(new RouteConfig { Name = "chat", Deployment = "fake" })
            .AddRoute(new RouteConfig { Name = "split", Split = [new SplitArmConfig { Deployment = "fake", Weight = 50 }, new SplitArmConfig { Deployment = "other", Weight = 50 }], Sticky = "user" });
        _tandem = new ChatClientBuilder(_fake).UseTandem(options).Build();
        _tandem.GetResponseAsync(Messages).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _tandem.Dispose();

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> Direct() => _fake.GetResponseAsync(Messages);

    [Benchmark]
    public Task<ChatResponse> Tandem() => _tandem.GetResponseAsync(Messages);

    [Benchmark]
    public Task<ChatResponse> TandemSplit() => _tandem.GetResponseAsync(Messages, SplitOptions);

    private sealed class CannedClient : IChatClient
    {
        private readonly Task<ChatResponse> _answer = Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "A gateway gives one place for routing, fallback and costs."))
        {
            ModelId = "fake-model",
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = 40, OutputTokenCount = 12, TotalTokenCount = 52 },
        });

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => _answer;

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private sealed class NoSink : IRecordSink
    {
        public bool TryWrite(RequestRecord record) => true;
    }
}
