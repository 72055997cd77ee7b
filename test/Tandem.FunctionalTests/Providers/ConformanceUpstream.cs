using Tandem.Simulator;

namespace Tandem.FunctionalTests.Providers;

/// <summary>
/// One upstream for the provider conformance suite: the same scenarios run against every protocol Tandem speaks,
/// each upstream answering the standard question with the standard answer.
/// </summary>
public abstract class ConformanceUpstream : IAsyncDisposable
{
    public const string Question = "What is the capital of France?";
    public const string Answer = "Paris is the capital of France.";

    /// <summary>The provider's configuration lines (name, type, base_url…), indented for a YAML list item.</summary>
    public abstract string ProviderYaml(string name);

    public abstract UpstreamFault Fault { set; }

    public abstract int Received { get; }

    /// <summary>The usage this upstream reports for the standard question and answer, by its own documented counting.</summary>
    public abstract (int Prompt, int Completion) ExpectedUsage { get; }

    /// <summary>The status the upstream answers the 503 fault with (Anthropic says it is overloaded with 529).</summary>
    public virtual int ServerErrorStatus => 503;

    /// <summary>
    /// The Retry-After the client gets for the upstream's 429. Google sends its delay in the body (a RetryInfo detail),
    /// not in a header, and the seam reads only headers: a Gemini 429 reaches the client without one.
    /// </summary>
    public virtual TimeSpan? RetryAfter => TimeSpan.FromSeconds(9);

    public abstract ValueTask DisposeAsync();

    public static async Task<ConformanceUpstream> StartAsync(string protocol) => protocol switch
    {
        "openai" => new OpenAiUpstream(await SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { [Question] = Answer }, RetryAfterSeconds = 9 })),
        "toy" => new ToyConformance(await ToyUpstream.StartAsync()),
        "gemini" => new GeminiUpstream(await SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { [Question] = Answer }, RetryAfterSeconds = 9 })),
        "anthropic" => new AnthropicUpstream(await SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { [Question] = Answer }, RetryAfterSeconds = 9 })),
        "sagemaker" or "bedrock" => await Aws.AwsConformanceUpstream.StartAwsAsync(protocol),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol)),
    };

    private class OpenAiUpstream(SimulatorServer sim) : ConformanceUpstream
    {
        public override string ProviderYaml(string name) => $"  - name: {name}\n    base_url: {sim.V1.ToString().TrimEnd('/')}\n";

        public override UpstreamFault Fault
        {
            set => sim.Options.Faults = value switch
            {
                UpstreamFault.None => [],
                UpstreamFault.Status503 => [new Fault(FaultKind.Status503, 1)],
                UpstreamFault.Status429 => [new Fault(FaultKind.Status429, 1)],
                UpstreamFault.AbortMidStream => [new Fault(FaultKind.Abort, 1)],
                UpstreamFault.StallMidStream => [new Fault(FaultKind.Stall, 1)],
                _ => throw new NotSupportedException(value.ToString()),
            };
        }

        public override int Received => (int)sim.Stats.Received;

        // The simulator counts ceil((sum over messages of (characters + 16)) / 4) prompt tokens and one token per word:
        // (30 + 16 + 3) / 4 = 12; "Paris is the capital of France." has 6 words.
        public override (int Prompt, int Completion) ExpectedUsage => (12, 6);

        public override ValueTask DisposeAsync() => sim.DisposeAsync();
    }

    private sealed class ToyConformance(ToyUpstream toy) : ConformanceUpstream
    {
        public override string ProviderYaml(string name) => $"  - name: {name}\n    type: toy\n    base_url: {toy.BaseUrl}\n";

        public override UpstreamFault Fault
        {
            set => toy.Fault = value;
        }

        public override int Received => toy.Received;

        // Toy counts words: 6 in the question, 6 pieces in the answer.
        public override (int Prompt, int Completion) ExpectedUsage => (6, 6);

        public override ValueTask DisposeAsync() => toy.DisposeAsync();
    }

    /// <summary>The simulator's Anthropic Messages API: same answers and faults, Anthropic's wire format and errors.</summary>
    private sealed class AnthropicUpstream(SimulatorServer sim) : OpenAiUpstream(sim)
    {
        private readonly SimulatorServer _sim = sim;

        public override string ProviderYaml(string name) => $"  - name: {name}\n    type: anthropic\n    base_url: {_sim.V1.ToString().TrimEnd('/')}\n";

        // The same counting as the OpenAI endpoints over the same single user message.
        public override (int Prompt, int Completion) ExpectedUsage => (12, 6);

        public override int ServerErrorStatus => 529;
    }

    /// <summary>The simulator's Gemini API: same answers and faults, Google's wire format (CRLF-framed streams) and errors.</summary>
    private sealed class GeminiUpstream(SimulatorServer sim) : OpenAiUpstream(sim)
    {
        private readonly SimulatorServer _sim = sim;

        public override string ProviderYaml(string name) => $"  - name: {name}\n    type: gemini\n    base_url: {_sim.BaseAddress}v1beta\n";

        public override (int Prompt, int Completion) ExpectedUsage => (12, 6);

        // Google gives its wait in the body (RetryInfo.retryDelay, 9s here), not in a header: Tandem reads it there.
        public override TimeSpan? RetryAfter => TimeSpan.FromSeconds(9);
    }
}
