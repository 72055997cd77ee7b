using System.Buffers;
using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Anthropic;

/// <summary>
/// Translates Anthropic's streamed events into OpenAI <c>chat.completion.chunk</c> events as they arrive, one for one
/// where OpenAI has an equivalent.
/// </summary>
/// <remarks>
/// <code>
///   message_start                      → role chunk (id and model from the message); input usage kept
///   content_block_start  text          → text chunk when it already holds text
///   content_block_start  tool_use      → tool call chunk: index, id, name, "" arguments
///   content_block_delta  text_delta    → text chunk
///   content_block_delta  input_json_delta → tool call chunk with the next piece of the arguments
///                                        (a forced JSON tool's pieces are text chunks: they are the answer)
///   message_delta                      → stop reason and output usage kept
///   message_stop                       → finish chunk, usage chunk, [DONE]
///   error                              → OpenAI error event; the stream ends without [DONE]
///   ping, content_block_stop, thinking and signature deltas → nothing
/// </code>
/// A stream that ends before <c>message_stop</c> (or an error event) is incomplete: <see cref="Complete"/> throws,
/// and the client gets an error event instead of <c>[DONE]</c>.
/// </remarks>
internal sealed class AnthropicStreamTranslator : ResponseTranslator
{
    private readonly SseEventReader _events = new();
    private readonly bool _jsonTool;
    private readonly long _created;
    private readonly Dictionary<int, int> _toolIndexByBlock = [];
    private OpenAiChunkWriter? _writer;
    private AnthropicUsage _usage;
    private string? _stopReason;
    private bool _ended;

    public AnthropicStreamTranslator(bool jsonTool, long created)
    {
        _jsonTool = jsonTool;
        _created = created;
    }

    public override void Translate(ReadOnlySpan<byte> received, IBufferWriter<byte> output)
    {
        _events.Append(received);
        while (_events.TryNext(out var data))
        {
            if (!data.IsEmpty && !_ended)
            {
                Event(data, output);
            }
        }
    }

    public override void Complete(IBufferWriter<byte> output)
    {
        if (!_ended)
        {
            throw new IOException(_events.HasPartialEvent ? "the Anthropic stream ended inside an event" : "the Anthropic stream ended before message_stop");
        }
    }

    private void Event(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(data);
            doc = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new IOException("the Anthropic stream sent an event that is not JSON", e);
        }

        using (doc)
        {
            var e = doc.RootElement;
            switch (AnthropicWire.StringOf(e, "type"))
            {
                case "message_start":
                    MessageStart(e, output);
                    break;
                case "content_block_start":
                    BlockStart(e, output);
                    break;
                case "content_block_delta":
                    BlockDelta(e, output);
                    break;
                case "message_delta":
                    _stopReason = e.TryGetProperty("delta", out var delta) ? AnthropicWire.StringOf(delta, "stop_reason") ?? _stopReason : _stopReason;
                    if (e.TryGetProperty("usage", out var usage))
                    {
                        AnthropicWire.ReadUsage(usage, ref _usage);
                    }

                    break;
                case "message_stop":
                    var writer = Writer();
                    writer.Finish(output, AnthropicWire.FinishReason(_stopReason, _jsonTool));
                    writer.UsageAndDone(output, _usage.ToOpenAi());
                    _ended = true;
                    break;
                case "error":
                    var error = e.TryGetProperty("error", out var err) ? err : default;
                    OpenAiChunkWriter.Error(output, AnthropicWire.StringOf(error, "message") ?? "The provider reported an error mid-stream.",
                        ErrorTypes.Upstream, AnthropicWire.StringOf(error, "type"));
                    _ended = true;
                    break;
            }
        }
    }

    private void MessageStart(JsonElement e, IBufferWriter<byte> output)
    {
        var message = e.TryGetProperty("message", out var m) ? m : default;
        _writer = new OpenAiChunkWriter(AnthropicWire.StringOf(message, "id") ?? "", AnthropicWire.StringOf(message, "model") ?? "", _created);
        if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("usage", out var usage))
        {
            AnthropicWire.ReadUsage(usage, ref _usage);
        }

        _writer.Role(output);
    }

    private void BlockStart(JsonElement e, IBufferWriter<byte> output)
    {
        if (!e.TryGetProperty("content_block", out var block) || !e.TryGetProperty("index", out var i) || !i.TryGetInt32(out var index))
        {
            return;
        }

        switch (AnthropicWire.StringOf(block, "type"))
        {
            case "text":
                if (AnthropicWire.StringOf(block, "text") is { Length: > 0 } text)
                {
                    Writer().Text(output, text);
                }

                break;
            case "tool_use" when !_jsonTool:
                var toolIndex = _toolIndexByBlock.Count;
                _toolIndexByBlock[index] = toolIndex;
                Writer().ToolCall(output, toolIndex, AnthropicWire.StringOf(block, "id") ?? "", AnthropicWire.StringOf(block, "name") ?? "", "");
                break;
        }
    }

    private void BlockDelta(JsonElement e, IBufferWriter<byte> output)
    {
        if (!e.TryGetProperty("delta", out var delta) || !e.TryGetProperty("index", out var i) || !i.TryGetInt32(out var index))
        {
            return;
        }

        switch (AnthropicWire.StringOf(delta, "type"))
        {
            case "text_delta":
                if (AnthropicWire.StringOf(delta, "text") is { Length: > 0 } text)
                {
                    Writer().Text(output, text);
                }

                break;
            case "input_json_delta":
                if (AnthropicWire.StringOf(delta, "partial_json") is not { Length: > 0 } piece)
                {
                    break;
                }

                if (_jsonTool)
                {
                    Writer().Text(output, piece);
                }
                else if (_toolIndexByBlock.TryGetValue(index, out var toolIndex))
                {
                    Writer().ToolCall(output, toolIndex, null, null, piece);
                }

                break;
        }
    }

    private OpenAiChunkWriter Writer() => _writer ?? throw new IOException("the Anthropic stream sent content before message_start");
}
