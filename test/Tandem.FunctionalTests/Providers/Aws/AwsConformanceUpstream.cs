using Tandem.Simulator;

namespace Tandem.FunctionalTests.Providers.Aws;

/// <summary>
/// The simulator as a SageMaker endpoint (OpenAI messages payload) or as Bedrock, for the conformance suite. The
/// gateway signs with the simulator's example key, read by the built-in adapters from a shared credentials file
/// (<c>aws: { credentials: profile, … }</c>), so no test sets process environment variables; the simulator verifies
/// every signature.
/// </summary>
public sealed class AwsConformanceUpstream : ConformanceUpstream
{
    private readonly SimulatorServer _sim;
    private readonly string _type;
    private readonly TempDir _dir = new("tandem-aws-");

    private AwsConformanceUpstream(SimulatorServer sim, string type)
    {
        _sim = sim;
        _type = type;
        File.WriteAllText(_dir.File("credentials"),
            $"[simulator]\naws_access_key_id = {AwsSimulatorOptions.ExampleAccessKeyId}\naws_secret_access_key = {AwsSimulatorOptions.ExampleSecretAccessKey}\n");
    }

    public SimulatorServer Simulator => _sim;

    public static async Task<ConformanceUpstream> StartAwsAsync(string type) =>
        new AwsConformanceUpstream(await SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { [Question] = Answer }, RetryAfterSeconds = 9 }), type);

    /// <summary>The provider lines of an AWS provider on a simulator, with credentials from the file in <paramref name="dir"/>.</summary>
    public static string Yaml(string name, string type, SimulatorServer sim, TempDir dir) =>
        $"  - name: {name}\n    type: {type}\n"
        + $"    aws: {{ region: us-east-1, credentials: profile, profile: simulator, credentials_file: \"{dir.File("credentials")}\", config_file: \"{dir.File("config")}\" }}\n"
        + $"    base_url: {sim.BaseAddress.ToString().TrimEnd('/')}\n";

    public override string ProviderYaml(string name) => Yaml(name, _type, _sim, _dir);

    public override UpstreamFault Fault
    {
        set => _sim.Options.Faults = value switch
        {
            UpstreamFault.None => [],
            UpstreamFault.Status503 => [new Fault(FaultKind.Status503, 1)],
            UpstreamFault.Status429 => [new Fault(FaultKind.Status429, 1)],
            UpstreamFault.AbortMidStream => [new Fault(FaultKind.Abort, 1)],
            UpstreamFault.StallMidStream => [new Fault(FaultKind.Stall, 1)],
            _ => throw new NotSupportedException(value.ToString()),
        };
    }

    public override int Received => (int)_sim.Stats.Received;

    // SageMaker's container is the OpenAI simulator; Bedrock's counts alike: ceil((30 + 16) / 4) = 12 input tokens,
    // one output token per word (6).
    public override (int Prompt, int Completion) ExpectedUsage => (12, 6);

    public override async ValueTask DisposeAsync()
    {
        await _sim.DisposeAsync();
        _dir.Dispose();
    }
}
