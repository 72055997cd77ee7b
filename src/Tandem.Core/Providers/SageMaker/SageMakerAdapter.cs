using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Tandem.Configuration;
using Tandem.Providers.Aws;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Providers.SageMaker;

/// <summary>
/// Amazon SageMaker real-time endpoints (<c>type: sagemaker</c>): <c>InvokeEndpoint</c> for whole answers and
/// <c>InvokeEndpointWithResponseStream</c> for streams, signed with SigV4 for service <c>sagemaker</c>. The
/// deployment's <c>model</c> is the endpoint name; its <c>sagemaker:</c> settings say which payload the container
/// takes (OpenAI messages or TGI <c>inputs</c>) and which variant or inference component to call.
/// </summary>
internal sealed class SageMakerAdapter : IProviderAdapter
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly SageMakerDeploymentConfig Defaults = new();
    private readonly AwsRequestSigner _signer;
    private readonly TimeProvider _time;

    public SageMakerAdapter(AwsRequestSigner signer, TimeProvider time)
    {
        _signer = signer;
        _time = time;
    }

    /// <summary>The adapter of a configured provider, with the process's AWS environment and clock.</summary>
    public static SageMakerAdapter Create(ProviderAdapterContext context) =>
        new(AwsSetup.Signer(context.Config, "sagemaker", AwsEnvironment.Process, context.Time), context.Time);

    public bool Supports(ApiOperation operation) => operation == ApiOperation.ChatCompletions;

    public bool TryWriteBody(UpstreamRequest request, DeploymentRuntime deployment, IBufferWriter<byte> output, out RequestProblem problem)
    {
        var settings = deployment.Config.SageMaker ?? Defaults;
        if (settings.Payload == SageMakerPayloads.Tgi)
        {
            return TgiPayload.TryWrite(request.Body, settings, request.Stream, deployment.Name, output, out problem);
        }

        // OpenAI-style containers take the client's body as it is, with the container's model name.
        request.Api.WriteUpstreamBody(request.Body.Span, settings.ContainerModel ?? deployment.UpstreamModel, forceUsage: true, output);
        problem = default;
        return true;
    }

    public async ValueTask<HttpRequestMessage> CreateMessageAsync(UpstreamRequest request, DeploymentRuntime deployment, UpstreamEndpoint endpoint, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var settings = deployment.Config.SageMaker ?? Defaults;
        var action = request.Stream ? "invocations-response-stream" : "invocations";
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri($"{endpoint.BaseUrl}/endpoints/{Uri.EscapeDataString(deployment.UpstreamModel)}/{action}"))
        {
            Version = HttpVersion.Version11,
            Content = new ReadOnlyMemoryContent(body),
        };
        message.Content.Headers.ContentType = Json;
        var headers = message.Headers;
        if (request.Stream)
        {
            headers.TryAddWithoutValidation("Accept", "application/vnd.amazon.eventstream");
            headers.TryAddWithoutValidation("X-Amzn-SageMaker-Accept", "application/json");
        }
        else
        {
            headers.TryAddWithoutValidation("Accept", "application/json");
        }

        Add(headers, "X-Amzn-SageMaker-Target-Variant", settings.TargetVariant);
        Add(headers, "X-Amzn-SageMaker-Inference-Component", settings.InferenceComponent);
        Add(headers, "X-Amzn-SageMaker-Target-Container-Hostname", settings.TargetContainerHostname);
        Add(headers, "X-Amzn-SageMaker-Custom-Attributes", settings.CustomAttributes);
        if (request.RequestId is { Length: > 0 and <= 64 } id)
        {
            // Shows in the endpoint's logs and data capture next to Tandem's record of the same request.
            headers.TryAddWithoutValidation("X-Amzn-SageMaker-Inference-Id", id);
        }

        try
        {
            await _signer.SignAsync(message, body, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            message.Dispose();
            throw;
        }

        return message;
    }

    public OpenAiContent ReadContent(HttpResponseMessage response, Stream body, UpstreamRequest request, DeploymentRuntime deployment)
    {
        var settings = deployment.Config.SageMaker ?? Defaults;
        var tgi = settings.Payload == SageMakerPayloads.Tgi;
        if (request.Stream)
        {
            IPayloadLines lines = tgi ? new TgiLines(Writer(request, deployment)) : new MessagesLines();
            return new OpenAiContent(new TranslatingStream(body, new SageMakerStreamTranslator(lines)), true, "text/event-stream");
        }

        if (!tgi)
        {
            return new OpenAiContent(body, false, "application/json");
        }

        var writer = Writer(request, deployment);
        return new OpenAiContent(new TranslatingStream(body, new WholeBodyTranslator(b => TgiPayload.TranslateWhole(b, writer))), false, "application/json");
    }

    private OpenAiChunkWriter Writer(UpstreamRequest request, DeploymentRuntime deployment) =>
        new("chatcmpl-" + (request.RequestId ?? Guid.NewGuid().ToString("N")), deployment.UpstreamModel, _time.GetUtcNow().ToUnixTimeSeconds());

    /// <summary>
    /// SageMaker's errors: <c>ModelError</c> (424) carries the container's status — a container 5xx or 429 is the
    /// model server's trouble and may fall back, a context-length refusal may go to a larger deployment;
    /// <c>ThrottlingException</c> (HTTP 400 on this API) is overload, not the request's fault; <c>ModelNotReadyException</c>
    /// is a 429 and <c>ServiceUnavailable</c> a 503, which the seam classifies by status.
    /// </summary>
    public ProviderError ReadError(int status, ReadOnlySpan<byte> body)
    {
        var error = AwsError.Read(body);
        if (error.OriginalStatus is { } original)
        {
            var text = error.OriginalMessage ?? error.Message;
            var message = $"The model container answered HTTP {original}" + (text is null ? "" : ": " + text);
            var kind = original is >= 500 or 429 ? ProviderErrorKind.Overloaded
                : AwsError.SaysContextLength(text) ? ProviderErrorKind.ContextLength
                : ProviderErrorKind.Unspecified;
            return new ProviderError(message, kind);
        }

        if (error.IsThrottling)
        {
            return new ProviderError(error.Message ?? "Throttled by SageMaker.", ProviderErrorKind.Overloaded);
        }

        return new ProviderError(error.Message, AwsError.SaysContextLength(error.Message) ? ProviderErrorKind.ContextLength : ProviderErrorKind.Unspecified);
    }

    /// <summary>SageMaker runtime has no health path; validation refuses <c>health_check</c> on this type.</summary>
    public HttpRequestMessage CreateHealthCheck(UpstreamEndpoint endpoint, string path) =>
        new(HttpMethod.Get, new Uri(endpoint.BaseUrl + "/" + path.TrimStart('/')));

    private static void Add(HttpRequestHeaders headers, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            headers.TryAddWithoutValidation(name, value);
        }
    }
}
