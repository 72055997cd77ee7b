using System.Buffers;
using System.Text;
using System.Text.Json;
using Tandem.Providers.Aws;
using Tandem.Wire;

namespace Tandem.Providers.SageMaker;

/// <summary>
/// Translates <c>InvokeEndpointWithResponseStream</c>: an AWS event stream whose <c>PayloadPart</c> events carry the
/// container's own stream in pieces of any size — a piece may end mid-line or hold several events — reassembled into
/// lines and handed to the payload's reader (<see cref="MessagesLines"/> for OpenAI-style containers,
/// <see cref="TgiLines"/> for TGI/LMI).
/// </summary>
/// <remarks>
/// <code>
///   bytes ─► event-stream decoder (CRCs) ─► PayloadPart bytes ─► lines ─► payload reader ─► OpenAI SSE chunks
///                                         └► ModelStreamError / InternalStreamFailure ─► before any output: IOException
///                                                                                     (the seam may fall back); after: error event
/// </code>
/// </remarks>
internal sealed class SageMakerStreamTranslator : ResponseTranslator
{
    private readonly AwsEventStreamDecoder _decoder = new();
    private readonly ArrayBufferWriter<byte> _partial = new(256);
    private readonly IPayloadLines _lines;
    private bool _failed;

    public SageMakerStreamTranslator(IPayloadLines lines) => _lines = lines;

    public override void Translate(ReadOnlySpan<byte> received, IBufferWriter<byte> output)
    {
        if (_failed)
        {
            return;
        }

        _decoder.Write(received);
        while (!_failed && _decoder.TryRead(out var message))
        {
            var type = message.StringHeader(":message-type"u8);
            if (type.SequenceEqual("event"u8))
            {
                if (message.StringHeader(":event-type"u8).SequenceEqual("PayloadPart"u8))
                {
                    Lines(message.Payload, output);
                }

                // Other event types are new additions to the API: skipped, as the AWS SDKs skip them.
                continue;
            }

            if (type.SequenceEqual("exception"u8))
            {
                var error = AwsError.Read(message.Payload);
                Fail(output, Encoding.UTF8.GetString(message.StringHeader(":exception-type"u8)), error.Message ?? "the model's stream failed");
            }
            else
            {
                Fail(output, Encoding.UTF8.GetString(message.StringHeader(":error-code"u8)), Encoding.UTF8.GetString(message.StringHeader(":error-message"u8)));
            }
        }
    }

    public override void Complete(IBufferWriter<byte> output)
    {
        if (_failed)
        {
            return;
        }

        if (_decoder.HasPartialMessage)
        {
            throw new IOException("the SageMaker event stream ended inside a message");
        }

        if (_partial.WrittenCount > 0)
        {
            _lines.Line(_partial.WrittenSpan, output);
            _partial.ResetWrittenCount();
        }

        _lines.Complete(output);
    }

    /// <summary>Splits payload bytes into lines, keeping a line that a payload part cut in two until its end arrives.</summary>
    private void Lines(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        while (!payload.IsEmpty)
        {
            var newline = payload.IndexOf((byte)'\n');
            if (newline < 0)
            {
                _partial.Write(payload);
                return;
            }

            ReadOnlySpan<byte> line;
            if (_partial.WrittenCount > 0)
            {
                _partial.Write(payload[..newline]);
                line = _partial.WrittenSpan;
            }
            else
            {
                line = payload[..newline];
            }

            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            _lines.Line(line, output);
            _partial.ResetWrittenCount();
            payload = payload[(newline + 1)..];
        }
    }

    private void Fail(IBufferWriter<byte> output, string code, string message)
    {
        if (!_lines.Started)
        {
            // Nothing reached the client yet: a broken connection to the seam, which may still fall back.
            throw new IOException($"SageMaker stream failed before its first token: {code}: {message}");
        }

        _failed = true;
        OpenAiChunkWriter.Error(output, message, "upstream_error", code.Length > 0 ? code : null);
    }
}

/// <summary>Reads a container's stream line by line.</summary>
internal interface IPayloadLines
{
    /// <summary>Whether an OpenAI chunk has been written.</summary>
    bool Started { get; }

    /// <summary>One line, without its line end.</summary>
    void Line(ReadOnlySpan<byte> line, IBufferWriter<byte> output);

    /// <summary>The stream ended; throws <see cref="IOException"/> when it ended before the answer did.</summary>
    void Complete(IBufferWriter<byte> output);
}

/// <summary>
/// OpenAI chat completion chunks from vLLM, LMI or TGI's Messages API, as SSE (<c>data: {…}</c>) or JSON lines:
/// relayed event by event in SSE form. A stream that finished (a <c>finish_reason</c>) but sent no <c>[DONE]</c> gets one.
/// </summary>
internal sealed class MessagesLines : IPayloadLines
{
    private bool _done;
    private bool _finished;
    private bool _error;

    public bool Started { get; private set; }

    public void Line(ReadOnlySpan<byte> line, IBufferWriter<byte> output)
    {
        var data = Data(line);
        if (data.IsEmpty || _done)
        {
            return;
        }

        if (data.SequenceEqual("[DONE]"u8))
        {
            _done = true;
            output.Write("data: [DONE]\n\n"u8);
            return;
        }

        Started = true;
        _finished |= SseEvents.HasNonNullProperty(data, "\"finish_reason\""u8);
        _error |= SseEvents.HasNonNullProperty(data, "\"error\""u8);
        output.Write("data: "u8);
        output.Write(data);
        output.Write("\n\n"u8);
    }

    public void Complete(IBufferWriter<byte> output)
    {
        if (_done || _error)
        {
            return;
        }

        if (!_finished)
        {
            throw new IOException("the SageMaker stream ended before the answer was complete");
        }

        output.Write("data: [DONE]\n\n"u8);
    }

    /// <summary>The JSON of an SSE <c>data:</c> line or of a JSON line; empty for blank lines, comments and other SSE fields.</summary>
    internal static ReadOnlySpan<byte> Data(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith("data:"u8))
        {
            line = line[5..];
            return !line.IsEmpty && line[0] == (byte)' ' ? line[1..] : line;
        }

        return !line.IsEmpty && line[0] == (byte)'{' ? line : default;
    }
}

/// <summary>
/// TGI / LMI token events (<c>{"token": {"text", "special"}, "generated_text", "details"}</c>, as SSE or JSON lines)
/// translated into OpenAI chunks: a role chunk, a text chunk per token, then the finish reason and usage.
/// </summary>
internal sealed class TgiLines(OpenAiChunkWriter writer) : IPayloadLines
{
    private bool _ended;

    public bool Started { get; private set; }

    public void Line(ReadOnlySpan<byte> line, IBufferWriter<byte> output)
    {
        var data = MessagesLines.Data(line);
        if (data.IsEmpty || _ended)
        {
            return;
        }

        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(data);
            doc = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new IOException("the SageMaker stream sent an unreadable event: " + e.Message, e);
        }

        using (doc)
        {
            Event(doc.RootElement, output);
        }
    }

    private void Event(JsonElement root, IBufferWriter<byte> output)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
        {
            if (!Started)
            {
                throw new IOException("the SageMaker stream failed before its first token: " + error.GetString());
            }

            _ended = true;
            OpenAiChunkWriter.Error(output, error.GetString()!, "upstream_error", root.TryGetProperty("error_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null);
            return;
        }

        if (!Started)
        {
            Started = true;
            writer.Role(output);
        }

        if (root.TryGetProperty("token", out var token) && token.ValueKind == JsonValueKind.Object
            && !(token.TryGetProperty("special", out var special) && special.ValueKind == JsonValueKind.True)
            && token.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String && text.GetString() is { Length: > 0 } piece)
        {
            writer.Text(output, piece);
        }

        var details = root.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
        var final = details.ValueKind == JsonValueKind.Object || (root.TryGetProperty("generated_text", out var g) && g.ValueKind == JsonValueKind.String);
        if (final)
        {
            _ended = true;
            writer.Finish(output, TgiPayload.FinishReason(details));
            writer.UsageAndDone(output, TgiPayload.Usage(details));
        }
    }

    public void Complete(IBufferWriter<byte> output)
    {
        if (!_ended)
        {
            throw new IOException("the SageMaker stream ended before its final token");
        }
    }
}
