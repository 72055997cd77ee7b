using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tandem.Core.Tests.Providers.Aws;
using Tandem.Providers;
using Tandem.Providers.SageMaker;
using Tandem.Simulator;
using Tandem.Upstream;
using Xunit;

namespace Tandem.Core.Tests.Providers.SageMaker;

/// <summary>The SageMaker adapter through the upstream seam: a captured signed request, and the simulator (which verifies SigV4).</summary>
public sealed class SageMakerAdapterTests
{
    private const string Question = "What is the capital of France?";
    private const string Answer = "Paris is the capital of France.";

    private static string Config(string baseUrl, string sagemaker = "{}", string region = "") => $$"""
        auth: { disabled: true }
        providers:
          - name: sm
            type: sagemaker
            base_url: {{baseUrl}}
            aws: { {{region}} }
            timeouts: { connect: 2s, first_byte: 10s, total: 20s, idle: 5s }
        deployments:
          - { name: llama, provider: sm, model: llama-3-1-8b, resilience: { retries: 0 }, sagemaker: {{sagemaker}} }
        routes:
          - { name: chat, deployment: llama }
        """;

    private static string Body(bool stream) => $$"""{"model":"chat","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"{{Question}}"}]}""";

    [Fact]
    public async Task InvokeEndpoint_IsSignedForSageMaker_ByteForByte()
    {
        // Expected Authorization computed by hand with Python's hmac/hashlib from the canonical request written out
        // from the AWS specification (accept, content-type, host, x-amz-date, x-amz-security-token and the two
        // x-amzn-sagemaker headers signed; body hash of the exact body below).
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero));
        var handler = new CapturingHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"id":"x","choices":[]}""", Encoding.UTF8, "application/json") });
        var snapshot = AwsTestSnapshots.Build(Config("https://runtime.sagemaker.us-east-1.amazonaws.com", "{ target_variant: variant-a }"),
            AwsTestSnapshots.Example with { SessionToken = "session-token-example" }, time, _ => handler);

        using var result = await snapshot.Deployments["llama"].Invoker.SendAsync(AwsTestSnapshots.Chat("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);

        Assert.True(result.IsSuccess);
        var (message, body) = Assert.Single(handler.Requests);
        Assert.Equal("https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/llama-3-1-8b/invocations", message.RequestUri!.ToString());
        Assert.Equal("""{"model":"llama-3-1-8b","messages":[{"role":"user","content":"hi"}]}""", body);
        Assert.Equal("runtime.sagemaker.us-east-1.amazonaws.com", message.Headers.Host);
        Assert.Equal("20240501T120000Z", message.Headers.GetValues("X-Amz-Date").Single());
        Assert.Equal("session-token-example", message.Headers.GetValues("X-Amz-Security-Token").Single());
        Assert.Equal("variant-a", message.Headers.GetValues("X-Amzn-SageMaker-Target-Variant").Single());
        Assert.Equal("req-1", message.Headers.GetValues("X-Amzn-SageMaker-Inference-Id").Single());
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/sagemaker/aws4_request, "
            + "SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token;x-amzn-sagemaker-inference-id;x-amzn-sagemaker-target-variant, "
            + "Signature=ace0649af55fca18abd7dcae985428a2e6a174eeed1a9433041bfdbcb6f00ba1",
            message.Headers.GetValues("Authorization").Single());
    }

    [Fact]
    public async Task InvokeEndpoint_MessagesPayload_SimulatorVerifiesTheSignature_AnswerPassesThrough()
    {
        await using var sim = await StartAsync();
        var snapshot = AwsTestSnapshots.Build(Config(sim.BaseAddress.ToString().TrimEnd('/'), region: "region: us-east-1"), AwsTestSnapshots.Simulator, TimeProvider.System);

        using var result = await snapshot.Deployments["llama"].Invoker.SendAsync(AwsTestSnapshots.Chat(Body(stream: false)), Ct);

        Assert.True(result.IsSuccess, result.Failure?.Message);
        var answer = JsonNode.Parse(await AwsTestSnapshots.ReadAllAsync(result))!;
        Assert.Equal(Answer, (string?)answer["choices"]![0]!["message"]!["content"]);
        // The simulator counts ceil((30 + 16) / 4) = 12 prompt tokens and one per word (6).
        Assert.Equal((12, 6), ((int)answer["usage"]!["prompt_tokens"]!, (int)answer["usage"]!["completion_tokens"]!));
        Assert.Equal(0, sim.Stats.Rejected);
    }

    [Fact]
    public async Task InvokeEndpointWithResponseStream_MessagesPayload_PartsSplitMidLine_AreReassembledIntoChunks()
    {
        await using var sim = await StartAsync();
        var snapshot = AwsTestSnapshots.Build(Config(sim.BaseAddress.ToString().TrimEnd('/'), region: "region: us-east-1"), AwsTestSnapshots.Simulator, TimeProvider.System);

        using var result = await snapshot.Deployments["llama"].Invoker.SendAsync(AwsTestSnapshots.Chat(Body(stream: true)), Ct);

        Assert.True(result.IsSuccess, result.Failure?.Message);
        Assert.True(result.IsEventStream);
        var events = AwsTestSnapshots.Events(await AwsTestSnapshots.ReadAllAsync(result));
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        var text = string.Concat(chunks.Select(c => c["choices"]!.AsArray().Count > 0 ? (string?)c["choices"]![0]!["delta"]!["content"] : null));
        Assert.Equal(Answer, text);
        Assert.Equal("stop", chunks.Select(c => c["choices"]!.AsArray().Count > 0 ? (string?)c["choices"]![0]!["finish_reason"] : null).Last(f => f is not null));
        // Tandem asked for usage (stream_options.include_usage), so the container sent its usage-only chunk.
        var usage = chunks.Single(c => c["usage"] is JsonObject)["usage"]!;
        Assert.Equal((12, 6), ((int)usage["prompt_tokens"]!, (int)usage["completion_tokens"]!));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TgiPayload_Llama3Template_AnswersAndUsageFromDetails(bool stream)
    {
        await using var sim = await StartAsync();
        sim.Options.RecordRequests = 1;
        var snapshot = AwsTestSnapshots.Build(Config(sim.BaseAddress.ToString().TrimEnd('/'), "{ payload: tgi, chat_template: llama3 }", "region: us-east-1"), AwsTestSnapshots.Simulator, TimeProvider.System);

        using var result = await snapshot.Deployments["llama"].Invoker.SendAsync(AwsTestSnapshots.Chat(Body(stream)), Ct);

        Assert.True(result.IsSuccess, result.Failure?.Message);
        const string prompt = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n" + Question + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
        var sent = JsonNode.Parse(sim.Stats.Recent.Single().Body)!;
        Assert.Equal(prompt, (string?)sent["inputs"]);
        // The simulator's TGI counts ceil((prompt characters + 16) / 4) input tokens.
        var expectedPrompt = (prompt.Length + 16 + 3) / 4;
        var text = await AwsTestSnapshots.ReadAllAsync(result);
        if (!stream)
        {
            var answer = JsonNode.Parse(text)!;
            Assert.Equal(Answer, (string?)answer["choices"]![0]!["message"]!["content"]);
            Assert.Equal("stop", (string?)answer["choices"]![0]!["finish_reason"]);
            Assert.Equal("llama-3-1-8b", (string?)answer["model"]);
            Assert.Equal((expectedPrompt, 6), ((int)answer["usage"]!["prompt_tokens"]!, (int)answer["usage"]!["completion_tokens"]!));
            return;
        }

        var events = AwsTestSnapshots.Events(text);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.Equal("assistant", (string?)chunks[0]["choices"]![0]!["delta"]!["role"]);
        Assert.Equal(Answer, string.Concat(chunks.Where(c => c["choices"]!.AsArray().Count > 0).Select(c => (string?)c["choices"]![0]!["delta"]!["content"])));
        var usage = chunks[^1]["usage"]!;
        Assert.Equal((expectedPrompt, 6), ((int)usage["prompt_tokens"]!, (int)usage["completion_tokens"]!));
    }

    [Fact]
    public async Task WrongSecret_SimulatorRefusesWith403_SeamReportsRejected()
    {
        await using var sim = await StartAsync();
        var snapshot = AwsTestSnapshots.Build(Config(sim.BaseAddress.ToString().TrimEnd('/'), region: "region: us-east-1"),
            AwsTestSnapshots.Simulator with { SecretAccessKey = "not-the-secret" }, TimeProvider.System);

        using var result = await snapshot.Deployments["llama"].Invoker.SendAsync(AwsTestSnapshots.Chat(Body(stream: false)), Ct);

        Assert.False(result.IsSuccess);
        Assert.Equal((FailureKind.Rejected, 502, "upstream_rejected", 403), (result.Failure!.Kind, result.Failure.Status, result.Failure.Code, result.Failure.UpstreamStatus));
        Assert.Equal(1, sim.Stats.Rejected);
    }

    [Fact]
    public async Task ContainerFailure_ModelError424WithContainer500_IsAServerErrorThatMayFallBack()
    {
        await using var sim = await StartAsync();
        sim.Options.Faults = [new Fault(FaultKind.Status500, 1)];
        var snapshot = AwsTestSnapshots.Build(Config(sim.BaseAddress.ToString().TrimEnd('/'), region: "region: us-east-1"), AwsTestSnapshots.Simulator, TimeProvider.System);

        using var result = await snapshot.Deployments["llama"].Invoker.SendAsync(AwsTestSnapshots.Chat(Body(stream: false)), Ct);

        Assert.False(result.IsSuccess);
        Assert.Equal((FailureKind.ServerError, 502, 424), (result.Failure!.Kind, result.Failure.Status, result.Failure.UpstreamStatus));
        Assert.Equal("Deployment 'llama' failed with HTTP 424: The model container answered HTTP 500: simulated container failure", result.Failure.Message);
        Assert.True(result.Failure.MayFallBack);
    }

    [Theory]
    [InlineData(424, """{"ErrorCode":"INTERNAL_FAILURE_FROM_MODEL","Message":"Received server error (503)","OriginalStatusCode":503,"OriginalMessage":"busy"}""", ProviderErrorKind.Overloaded, "The model container answered HTTP 503: busy")]
    [InlineData(424, """{"ErrorCode":"CLIENT_ERROR_FROM_MODEL","Message":"m","OriginalStatusCode":429,"OriginalMessage":"slow down"}""", ProviderErrorKind.Overloaded, "The model container answered HTTP 429: slow down")]
    [InlineData(424, """{"Message":"m","OriginalStatusCode":400,"OriginalMessage":"This model's maximum context length is 8192 tokens."}""", ProviderErrorKind.ContextLength, "The model container answered HTTP 400: This model's maximum context length is 8192 tokens.")]
    [InlineData(424, """{"Message":"m","OriginalStatusCode":422,"OriginalMessage":"Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 1024 `max_new_tokens`"}""", ProviderErrorKind.ContextLength, "The model container answered HTTP 422: Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 1024 `max_new_tokens`")]
    [InlineData(424, """{"Message":"m","OriginalStatusCode":400,"OriginalMessage":"temperature must be positive"}""", ProviderErrorKind.Unspecified, "The model container answered HTTP 400: temperature must be positive")]
    [InlineData(400, """{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate exceeded"}""", ProviderErrorKind.RateLimited, "Rate exceeded")]
    [InlineData(400, """{"message":"Endpoint llama of account 1 not found."}""", ProviderErrorKind.Unspecified, "Endpoint llama of account 1 not found.")]
    [InlineData(503, "", ProviderErrorKind.Unspecified, null)]
    public void ReadError_MapsSageMakerErrors(int status, string body, ProviderErrorKind kind, string? message)
    {
        var adapter = new SageMakerAdapter(new Tandem.Providers.Aws.AwsRequestSigner("us-east-1", "sagemaker", new Tandem.Providers.Aws.StaticAwsCredentials(AwsTestSnapshots.Example), TimeProvider.System), TimeProvider.System);

        var error = adapter.ReadError(status, Encoding.UTF8.GetBytes(body));

        Assert.Equal((kind, message), (error.Kind, error.Message));
    }

    [Fact]
    public async Task Embeddings_AreRefusedBeforeAnyCall()
    {
        var handler = new CapturingHandler(_ => throw new InvalidOperationException("no call expected"));
        var snapshot = AwsTestSnapshots.Build(Config("https://runtime.sagemaker.us-east-1.amazonaws.com"), AwsTestSnapshots.Example, TimeProvider.System, _ => handler);
        var request = Tandem.Upstream.UpstreamRequest.Parse(Tandem.Wire.ApiOperation.Embeddings, """{"model":"chat","input":"hi"}"""u8.ToArray(), UpstreamPurpose.Client);

        using var result = await snapshot.Deployments["llama"].Invoker.SendAsync(request, Ct);

        Assert.Equal((FailureKind.Untranslatable, 400, "unsupported_operation"), (result.Failure!.Kind, result.Failure.Status, result.Failure.Code));
        Assert.Empty(handler.Requests);
    }

    private static Task<SimulatorServer> StartAsync() =>
        SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { [Question] = Answer } });
}
