using System.CommandLine;
using Tandem.Cli.Commands;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests.Providers.Aws;

/// <summary><c>tandem simulate --protocol</c>: what the simulator tells a user to point an AWS provider at.</summary>
public sealed class SimulateProtocolTests
{
    [Fact]
    public async Task Banner_NamesTheAwsPathsAndTheKeyItVerifies()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Label = "sm" }, cancellationToken: Ct);
        var url = sim.BaseAddress.ToString().TrimEnd('/');

        Assert.Equal($"Tandem SIMULATOR 'sm' serving the SageMaker runtime at {url} (POST /endpoints/NAME/invocations[-response-stream]; SigV4 verified for access key AKIDSIMULATOR, service sagemaker) (generated answers, not a model)",
            SimulateCommand.Banner("sagemaker", "sm", sim, AwsSimulatorOptions.ExampleAccessKeyId));
        Assert.Equal($"Tandem SIMULATOR 'sm' serving the Bedrock runtime at {url} (POST /model/MODEL/converse[-stream]; SigV4 verified for access key AKIDSIMULATOR, service bedrock) (generated answers, not a model)",
            SimulateCommand.Banner("bedrock", "sm", sim, AwsSimulatorOptions.ExampleAccessKeyId));
        Assert.Equal($"Tandem SIMULATOR 'sm' listening on {sim.V1} (generated answers, not a model)", SimulateCommand.Banner("openai", "sm", sim, "k"));
    }

    [Fact]
    public void Protocol_UnknownValue_IsAParseError()
    {
        var root = new RootCommand("test") { SimulateCommand.Create() };

        var result = root.Parse(["simulate", "--protocol", "grpc"]);

        Assert.NotEmpty(result.Errors);
        Assert.Empty(root.Parse(["simulate", "--protocol", "bedrock", "--aws-region", "us-east-1"]).Errors);
    }
}
