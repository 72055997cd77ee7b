using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Tandem.Configuration;
using Tandem.Providers;
using Tandem.Providers.Aws;
using Tandem.Providers.Bedrock;
using Tandem.Providers.SageMaker;
using Tandem.Simulator;

namespace Tandem.Benchmarks;

/// <summary>
/// What the AWS adapters add per request: signing a call with SigV4 (the signing key is cached per day, as in the
/// gateway), and translating the OpenAI request into a Bedrock Converse or SageMaker TGI body.
/// </summary>
[MemoryDiagnoser]
public class AwsRequestBenchmarks
{
    private static readonly AwsCredentials Credentials = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token");
    private readonly AwsRequestSigner _signer = new("us-east-1", "bedrock", new StaticAwsCredentials(Credentials), TimeProvider.System);
    private readonly SageMakerDeploymentConfig _tgi = new() { Payload = "tgi", ChatTemplate = "llama3" };
    private readonly ArrayBufferWriter<byte> _output = new(16 * 1024);
    private byte[] _body = [];

    [Params("small", "large")]
    public string Body { get; set; } = "small";

    [GlobalSetup]
    public void Setup() => _body = Body == "small" ? Samples.SmallChat : Samples.LargeChat;

    /// <summary>The message every adapter builds anyway (the baseline the signing is added to).</summary>
    [Benchmark(Baseline = true)]
    public int BuildMessage()
    {
        using var message = Message();
        return message.Headers.Count();
    }

    /// <summary>Build and sign one Converse call: headers, path, body hash, canonical request, HMAC.</summary>
    [Benchmark]
    public async Task<int> SigV4_SignMessage()
    {
        using var message = Message();
        await _signer.SignAsync(message, _body, CancellationToken.None);
        return message.Headers.Count();
    }

    /// <summary>The OpenAI request read and written as a Converse body.</summary>
    [Benchmark]
    public int Bedrock_TranslateRequest()
    {
        _output.ResetWrittenCount();
        ConverseRequestWriter.TryWrite(_body, "bench", _output, out _);
        return _output.WrittenCount;
    }

    /// <summary>The OpenAI request read and rendered into a Llama 3 prompt with TGI parameters (always the small, text-only body).</summary>
    [Benchmark]
    public int SageMakerTgi_TranslateRequest()
    {
        _output.ResetWrittenCount();
        TgiPayload.TryWrite(Samples.SmallChat, _tgi, false, "bench", _output, out _);
        return _output.WrittenCount;
    }

    private HttpRequestMessage Message()
    {
        var message = new HttpRequestMessage(HttpMethod.Post, "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.amazon.nova-micro-v1%3A0/converse")
        {
            Content = new ReadOnlyMemoryContent(_body),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.TryAddWithoutValidation("Accept", "application/json");
        return message;
    }
}

/// <summary>
/// Stream translation per chunk: a recorded Bedrock ConverseStream (33 event-stream messages, 6.6 KB, real
/// pydantic-ai recording) into OpenAI chunks, and a SageMaker response stream (vLLM-style SSE in PayloadPart events,
/// each event split across two parts) re-framed, both read from the wire in 1 KB pieces. Results are per chunk
/// (<c>OperationsPerInvoke</c> = messages in the stream).
/// </summary>
[MemoryDiagnoser]
public class AwsStreamBenchmarks
{
    private const int BedrockMessages = 33;
    private const int SageMakerParts = 2 * 26;
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private byte[] _bedrock = [];
    private byte[] _sagemaker = [];

    [GlobalSetup]
    public void Setup()
    {
        _bedrock = RepositoryFile("test/TestData/pydantic-ai-bedrock/test_bedrock_model_stream.i0.eventstream.bin");
        var sse = Samples.GeneratedStream(22);
        var parts = new List<byte>();
        var events = Encoding.UTF8.GetString(sse).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        foreach (var e in events.Select(e => Encoding.UTF8.GetBytes(e + "\n\n")))
        {
            parts.AddRange(AwsEventStreamWriter.Event("PayloadPart", "application/octet-stream", e.AsSpan(0, e.Length / 2)));
            parts.AddRange(AwsEventStreamWriter.Event("PayloadPart", "application/octet-stream", e.AsSpan(e.Length / 2)));
        }

        if (events.Length * 2 != SageMakerParts)
        {
            throw new InvalidOperationException($"expected {SageMakerParts} parts, built {events.Length * 2}");
        }

        _sagemaker = [.. parts];
    }

    [Benchmark(OperationsPerInvoke = BedrockMessages)]
    public int Bedrock_ConverseStream_PerEvent() =>
        Run(new ConverseStreamTranslator(new OpenAiChunkWriter("chatcmpl-bench", "us.amazon.nova-micro-v1:0", 1_700_000_000)), _bedrock);

    [Benchmark(OperationsPerInvoke = SageMakerParts)]
    public int SageMaker_ResponseStream_PerPayloadPart() => Run(new SageMakerStreamTranslator(new MessagesLines()), _sagemaker);

    private int Run(ResponseTranslator translator, byte[] wire)
    {
        _output.ResetWrittenCount();
        for (var offset = 0; offset < wire.Length; offset += 1024)
        {
            translator.Translate(wire.AsSpan(offset, Math.Min(1024, wire.Length - offset)), _output);
        }

        translator.Complete(_output);
        return _output.WrittenCount;
    }

    private static byte[] RepositoryFile(string path)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tandem.slnx")))
            {
                return File.ReadAllBytes(Path.Combine(dir.FullName, path));
            }
        }

        throw new FileNotFoundException("the benchmarks read " + path + " from the repository they are built in", path);
    }
}
