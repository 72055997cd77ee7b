using System.Buffers;
using System.Text;
using Tandem.Providers;
using Tandem.Providers.SageMaker;
using Tandem.Simulator;
using Xunit;

namespace Tandem.Core.Tests.Providers.SageMaker;

/// <summary>
/// The response-stream translator on event streams built by the simulator's own encoder: payload parts that split a
/// line, an event, or hold several events; modeled exceptions before and after the first token; streams cut short.
/// </summary>
public sealed class SageMakerStreamTranslatorTests
{
    // A vLLM-style stream: two content chunks, a finish chunk, a usage chunk, [DONE] — with a CRLF line end and an
    // SSE comment that must not reach the client.
    private const string ContainerStream =
        ": ping\n\n"
        + "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\r\n\r\n"
        + "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}]}\n\n"
        + "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
        + "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n"
        + "data: [DONE]\n\n";

    private const string Expected =
        "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"
        + "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}]}\n\n"
        + "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
        + "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n"
        + "data: [DONE]\n\n";

    [Fact]
    public void PayloadParts_CutAtEveryPosition_AndReadInEveryPieceSize_GiveTheSameChunks()
    {
        var container = Encoding.UTF8.GetBytes(ContainerStream);
        for (var cut = 1; cut < container.Length; cut += 7)
        {
            // Two payload parts cut at 'cut' (mid-line, mid-event or between events), then read from the wire in
            // pieces that split the event-stream messages themselves.
            var wire = Concat(Part(container.AsSpan(0, cut)), Part(container.AsSpan(cut)));
            foreach (var piece in (int[])[1, 5, 64, wire.Length])
            {
                Assert.Equal(Expected, Translate(new MessagesLines(), wire, piece));
            }
        }
    }

    [Fact]
    public void JsonLines_FromLmi_BecomeSseEvents_AndAFinishedStreamWithoutDoneGetsOne()
    {
        var lines = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}";
        var wire = Part(Encoding.UTF8.GetBytes(lines));

        Assert.Equal(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
            + "data: [DONE]\n\n",
            Translate(new MessagesLines(), wire, wire.Length));
    }

    [Fact]
    public void ModelStreamError_AfterTheFirstToken_EndsWithAnErrorEvent_NeverDone()
    {
        var wire = Concat(
            Part("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"u8),
            AwsEventStreamWriter.Exception("ModelStreamError", """{"Message":"Your model stream broke off.","ErrorCode":"StreamBroken"}"""),
            Part("data: [DONE]\n\n"u8));

        var output = Translate(new MessagesLines(), wire, 9);

        Assert.Equal(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"
            + "data: {\"error\":{\"message\":\"Your model stream broke off.\",\"type\":\"upstream_error\",\"param\":null,\"code\":\"ModelStreamError\"}}\n\n",
            output);
    }

    [Fact]
    public void ModelStreamError_BeforeTheFirstToken_IsAnIOException_SoTheSeamMayFallBack()
    {
        var wire = AwsEventStreamWriter.Exception("InternalStreamFailure", """{"Message":"try again"}""");

        var e = Assert.Throws<IOException>(() => Translate(new MessagesLines(), wire, wire.Length));

        Assert.Equal("SageMaker stream failed before its first token: InternalStreamFailure: try again", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void StreamEndingEarly_IsAnIOException(int trim)
    {
        // Without its finish chunk (trim 0), or cut inside the last event-stream message (trim 5).
        var wire = Part("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"u8);

        Assert.Throws<IOException>(() => Translate(new MessagesLines(), wire[..^trim], 16));
    }

    [Fact]
    public void CorruptMessage_IsAnIOException()
    {
        var wire = Part("data: {}\n\n"u8);
        wire[^1] ^= 0xFF;

        Assert.Throws<Tandem.Providers.Aws.AwsEventStreamException>(() => Translate(new MessagesLines(), wire, wire.Length));
    }

    [Fact]
    public void TgiTokenEvents_BecomeOpenAiChunks_SpecialTokensDropped()
    {
        var events =
            "data:{\"index\":1,\"token\":{\"id\":1,\"text\":\"Par\",\"logprob\":-0.1,\"special\":false},\"generated_text\":null,\"details\":null}\n\n"
            + "data:{\"index\":2,\"token\":{\"id\":2,\"text\":\"is\",\"logprob\":-0.1,\"special\":false},\"generated_text\":null,\"details\":null}\n\n"
            + "data:{\"index\":3,\"token\":{\"id\":3,\"text\":\"<|eot_id|>\",\"logprob\":0,\"special\":true},\"generated_text\":\"Paris\",\"details\":{\"finish_reason\":\"eos_token\",\"generated_tokens\":3,\"input_length\":7,\"seed\":null}}\n\n";
        var bytes = Encoding.UTF8.GetBytes(events);
        var wire = Concat(Part(bytes.AsSpan(0, 30)), Part(bytes.AsSpan(30)));

        var output = Translate(new TgiLines(new OpenAiChunkWriter("chatcmpl-1", "llama", 1_700_000_000)), wire, 11);

        const string head = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"llama\",\"choices\":";
        Assert.Equal(
            "data: " + head + "[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
            + "data: " + head + "[{\"index\":0,\"delta\":{\"content\":\"Par\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
            + "data: " + head + "[{\"index\":0,\"delta\":{\"content\":\"is\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
            + "data: " + head + "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n"
            + "data: " + head + "[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}\n\n"
            + "data: [DONE]\n\n",
            output);
    }

    private static byte[] Part(ReadOnlySpan<byte> bytes) => AwsEventStreamWriter.Event("PayloadPart", "application/octet-stream", bytes);

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static string Translate(IPayloadLines lines, byte[] wire, int piece)
    {
        var translator = new SageMakerStreamTranslator(lines);
        var output = new ArrayBufferWriter<byte>();
        for (var offset = 0; offset < wire.Length; offset += piece)
        {
            translator.Translate(wire.AsSpan(offset, Math.Min(piece, wire.Length - offset)), output);
        }

        translator.Complete(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
