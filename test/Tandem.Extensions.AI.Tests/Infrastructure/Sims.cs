using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;
using Tandem.Simulator;

namespace Tandem.Extensions.AI.Tests.Infrastructure;

/// <summary>Simulators on loopback and Microsoft.Extensions.AI clients (the official OpenAI SDK underneath) pointed at them.</summary>
internal static class Sims
{
    public static Task<SimulatorServer> StartAsync(string label, Action<SimulatorOptions>? configure = null)
    {
        var options = new SimulatorOptions { Label = label, Seed = 7 };
        configure?.Invoke(options);
        return SimulatorServer.StartAsync(options, cancellationToken: Ct);
    }

    /// <summary>
    /// An M.E.AI chat client for <paramref name="model"/> on <paramref name="simulator"/>. The SDK's own retries are off:
    /// Tandem retries per deployment (its resilience settings), and two layers of retries would hide what each does.
    /// </summary>
    public static IChatClient Client(SimulatorServer simulator, string model) =>
        new OpenAIClient(new ApiKeyCredential("sk-sim"), new OpenAIClientOptions
        {
            Endpoint = simulator.V1,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromSeconds(30),
        }).GetChatClient(model).AsIChatClient();

    /// <summary>A client no call should reach (the builder's inner client when every deployment is named).</summary>
    public static IChatClient Unused { get; } = new UnusedClient();

    private sealed class UnusedClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the inner client was not meant to be called");

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the inner client was not meant to be called");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}

/// <summary>Records kept in memory, for assertions on what the in-process client recorded.</summary>
internal sealed class MemorySink : Tandem.Records.IRecordSink
{
    private readonly List<Tandem.Records.RequestRecord> _records = [];

    public IReadOnlyList<Tandem.Records.RequestRecord> Records
    {
        get
        {
            lock (_records)
            {
                return [.. _records];
            }
        }
    }

    public bool TryWrite(Tandem.Records.RequestRecord record)
    {
        lock (_records)
        {
            _records.Add(record);
        }

        return true;
    }
}
