using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Tandem.Providers;
using Tandem.Providers.Anthropic;
using Tandem.Providers.Gemini;

namespace Tandem.Benchmarks;

/// <summary>
/// The added cost of translating a request for a provider that does not speak OpenAI's protocol: the OpenAI body
/// parsed and the provider's body written (Anthropic Messages, Gemini generateContent), on the run.sh body (~330 B)
/// and a ~6 KB conversation with tools and an image.
/// </summary>
[MemoryDiagnoser]
public class ProviderRequestBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(16 * 1024);
    private byte[] _body = [];

    [Params("anthropic", "gemini")]
    public string Protocol { get; set; } = "anthropic";

    [Params("small", "large")]
    public string Body { get; set; } = "small";

    [GlobalSetup]
    public void Setup() => _body = Body == "large" ? Samples.LargeChat : Samples.SmallChat;

    [Benchmark]
    public int TranslateRequest()
    {
        _output.ResetWrittenCount();
        var ok = Protocol == "anthropic"
            ? AnthropicRequestWriter.TryWrite(_body, new AnthropicRequestOptions("claude-haiku-4-5", "bench", 4096, NativeJsonSchema: true), _output, out _)
            : GeminiRequestWriter.TryWrite(_body, new GeminiRequestOptions("bench", JsonSchemas: false), _output, out _);
        return ok ? _output.WrittenCount : throw new InvalidOperationException("the sample is translatable");
    }
}

/// <summary>
/// The added cost per streamed chunk: one provider event (an Anthropic <c>content_block_delta</c>, a Gemini partial
/// response with usage, CRLF-framed) framed, parsed and written as an OpenAI <c>chat.completion.chunk</c>; and a whole
/// recorded stream (Anthropic: 14 events with tool-argument deltas; Gemini: 3 CRLF events).
/// </summary>
[MemoryDiagnoser]
public class ProviderChunkBenchmarks
{
    private const string AnthropicStart = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-haiku-4-5-20251001\",\"id\":\"msg_01R4hRKPvDP3eyHsaAgs1gBn\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":656,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":26}}}\n\n";
    private const string AnthropicDelta = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" and cost tokens latency measure\"}}\n\n";
    private const string GeminiChunk = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" and cost tokens latency measure\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 15,\"candidatesTokenCount\": 4,\"totalTokenCount\": 19,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 15}]},\"modelVersion\": \"gemini-2.0-flash-exp\",\"responseId\": \"w1peaMz6INOvnvgPgYfPiQY\"}\r\n\r\n";

    private readonly ArrayBufferWriter<byte> _output = new(16 * 1024);
    private ResponseTranslator _translator = null!;
    private byte[] _chunk = [];
    private byte[] _stream = [];

    [Params("anthropic", "gemini")]
    public string Protocol { get; set; } = "anthropic";

    [GlobalSetup]
    public void Setup()
    {
        if (Protocol == "anthropic")
        {
            _translator = new AnthropicStreamTranslator(jsonTool: false, 1_700_000_000);
            _translator.Translate(Encoding.UTF8.GetBytes(AnthropicStart), _output);
            _chunk = Encoding.UTF8.GetBytes(AnthropicDelta);
            var snapshot = JsonNode.Parse(File.ReadAllText(Samples.TestDataFile("anthropic-sdk-python/771c64ff-a0af-4cd9-8080-a5a539da7cb9.json")))!;
            _stream = Encoding.UTF8.GetBytes((string)snapshot[0]!["response"]!["body"]!);
        }
        else
        {
            _translator = new GeminiStreamTranslator("gemini-2.0-flash-exp", 1_700_000_000);
            _chunk = Encoding.UTF8.GetBytes(GeminiChunk);
            _translator.Translate(_chunk, _output);
            _stream = File.ReadAllBytes(Samples.TestDataFile("pydantic-ai/gemini/test_google_model_stream.i0.sse"));
        }
    }

    [Benchmark]
    public int TranslateChunk()
    {
        _output.ResetWrittenCount();
        _translator.Translate(_chunk, _output);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int TranslateRecordedStream()
    {
        _output.ResetWrittenCount();
        ResponseTranslator translator = Protocol == "anthropic"
            ? new AnthropicStreamTranslator(jsonTool: false, 1_700_000_000)
            : new GeminiStreamTranslator("gemini-2.0-flash-exp", 1_700_000_000);
        translator.Translate(_stream, _output);
        translator.Complete(_output);
        return _output.WrittenCount;
    }
}
