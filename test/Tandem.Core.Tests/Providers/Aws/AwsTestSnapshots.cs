using System.Text;
using Tandem.Configuration;
using Tandem.Providers;
using Tandem.Providers.Aws;
using Tandem.Providers.Bedrock;
using Tandem.Providers.SageMaker;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Core.Tests.Providers.Aws;

/// <summary>
/// Snapshots whose AWS providers sign with given credentials and clock (instead of the process's chain and the
/// system clock), sending through real sockets or a capturing handler.
/// </summary>
internal static class AwsTestSnapshots
{
    public static readonly AwsCredentials Example = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");

    public static readonly AwsCredentials Simulator = new(Tandem.Simulator.AwsSimulatorOptions.ExampleAccessKeyId, Tandem.Simulator.AwsSimulatorOptions.ExampleSecretAccessKey);

    public static ProviderAdapters Adapters(AwsCredentials credentials, TimeProvider time) => ProviderAdapters.BuiltIn
        .With(ProviderTypes.SageMaker, c => new SageMakerAdapter(Signer(c, "sagemaker", credentials, time), time))
        .With(ProviderTypes.Bedrock, c => new BedrockAdapter(Signer(c, "bedrock", credentials, time), time));

    public static GatewaySnapshot Build(string yaml, AwsCredentials credentials, TimeProvider time, Func<ProviderConfig, HttpMessageHandler>? handler = null) =>
        GatewaySnapshot.Build(ConfigLoader.Parse(yaml), null, new RuntimeServices
        {
            Adapters = Adapters(credentials, time),
            HttpHandler = handler,
            Time = time,
            Random = RandomSource.Seeded(1),
        });

    public static UpstreamRequest Chat(string body, string requestId = "req-1") =>
        UpstreamRequest.Parse(ApiOperation.ChatCompletions, Encoding.UTF8.GetBytes(body), UpstreamPurpose.Client, requestId);

    /// <summary>Reads a successful result to its end.</summary>
    public static async Task<string> ReadAllAsync(UpstreamResult result)
    {
        var sb = new StringBuilder(Encoding.UTF8.GetString(result.Buffered.Span));
        var buffer = new byte[4096];
        int n;
        while ((n = await result.ReadAsync(buffer)) > 0)
        {
            sb.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        return sb.ToString();
    }

    /// <summary>The <c>data:</c> payloads of an SSE text.</summary>
    public static List<string> Events(string sse) =>
        [.. sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.StartsWith("data: ", StringComparison.Ordinal) ? e[6..] : e)];

    private static AwsRequestSigner Signer(ProviderAdapterContext c, string service, AwsCredentials credentials, TimeProvider time) =>
        new(AwsConfig.ResolveRegion(c.Config, _ => null) ?? "us-east-1", service, new StaticAwsCredentials(credentials), time);
}

/// <summary>A handler that records each request (with its body) and answers from a script.</summary>
internal sealed class CapturingHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
{
    public List<(HttpRequestMessage Message, string Body)> Requests { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add((request, body));
        return answer(request);
    }
}
