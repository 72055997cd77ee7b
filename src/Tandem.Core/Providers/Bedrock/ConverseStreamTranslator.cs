using System.Buffers;
using System.Text;
using System.Text.Json;
using Tandem.Providers.Aws;
using Tandem.Wire;

namespace Tandem.Providers.Bedrock;

/// <summary>
/// Translates a <c>ConverseStream</c> event stream into OpenAI chunks, event by event:
/// <code>
///   messageStart                      ─► role chunk
///   contentBlockStart {toolUse}       ─► tool call chunk (id, name), numbered from 0 in order
///   contentBlockDelta {text}          ─► content chunk
///   contentBlockDelta {toolUse.input} ─► tool call arguments chunk
///   messageStop {stopReason}          ─► finish chunk
///   metadata {usage}                  ─► usage chunk, [DONE]
///   exception (throttlingException…) ─► before any output: IOException (the seam may fall back); after: error event
/// </code>
/// Reasoning deltas have no OpenAI chunk field and are not relayed (their tokens are in the usage); tools Bedrock
/// runs itself (<c>server_tool_use</c>) and their results are not calls for the client and are skipped.
/// </summary>
internal sealed class ConverseStreamTranslator(OpenAiChunkWriter writer) : ResponseTranslator
{
    private readonly AwsEventStreamDecoder _decoder = new();
    private readonly Dictionary<int, int> _toolCalls = [];
    private bool _started;
    private bool _finished;
    private bool _ended;

    public override void Translate(ReadOnlySpan<byte> received, IBufferWriter<byte> output)
    {
        if (_ended)
        {
            return;
        }

        _decoder.Write(received);
        while (!_ended && _decoder.TryRead(out var message))
        {
            var type = message.StringHeader(":message-type"u8);
            if (type.SequenceEqual("event"u8))
            {
                Event(Encoding.UTF8.GetString(message.StringHeader(":event-type"u8)), message.Payload, output);
            }
            else if (type.SequenceEqual("exception"u8))
            {
                Fail(output, Encoding.UTF8.GetString(message.StringHeader(":exception-type"u8)), AwsError.Read(message.Payload).Message ?? "the Bedrock stream failed");
            }
            else
            {
                Fail(output, Encoding.UTF8.GetString(message.StringHeader(":error-code"u8)), Encoding.UTF8.GetString(message.StringHeader(":error-message"u8)));
            }
        }
    }

    public override void Complete(IBufferWriter<byte> output)
    {
        if (_ended)
        {
            return;
        }

        if (_decoder.HasPartialMessage)
        {
            throw new IOException("the Bedrock event stream ended inside a message");
        }

        if (!_finished)
        {
            throw new IOException("the Bedrock stream ended before messageStop");
        }

        // messageStop came but no metadata: the answer is whole, its usage unknown.
        writer.UsageAndDone(output, null);
        _ended = true;
    }

    private void Event(string type, ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(payload);
            doc = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new IOException($"the Bedrock stream sent an unreadable {type} event: {e.Message}", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            if (!_started && type is "messageStart" or "contentBlockStart" or "contentBlockDelta")
            {
                _started = true;
                writer.Role(output);
            }

            var index = root.TryGetProperty("contentBlockIndex", out var i) && i.ValueKind == JsonValueKind.Number && i.TryGetInt32(out var at) ? at : 0;
            switch (type)
            {
                case "contentBlockStart" when root.TryGetProperty("start", out var start) && start.TryGetProperty("toolUse", out var toolUse) && !ConverseResponse.IsServerTool(toolUse):
                    var call = _toolCalls.Count;
                    _toolCalls[index] = call;
                    writer.ToolCall(output, call, String(toolUse, "toolUseId") ?? "", String(toolUse, "name") ?? "", "");
                    break;
                case "contentBlockDelta" when root.TryGetProperty("delta", out var delta):
                    if (String(delta, "text") is { Length: > 0 } text)
                    {
                        writer.Text(output, text);
                    }
                    else if (delta.TryGetProperty("toolUse", out var input) && _toolCalls.TryGetValue(index, out var n) && String(input, "input") is { Length: > 0 } arguments)
                    {
                        writer.ToolCall(output, n, null, null, arguments);
                    }

                    break;
                case "messageStop":
                    _finished = true;
                    writer.Finish(output, ConverseResponse.FinishReason(String(root, "stopReason")));
                    break;
                case "metadata" when _finished:
                    _ended = true;
                    writer.UsageAndDone(output, root.TryGetProperty("usage", out var usage) ? ConverseResponse.Usage(usage) : null);
                    break;
            }
        }
    }

    private void Fail(IBufferWriter<byte> output, string code, string message)
    {
        if (!_started)
        {
            throw new IOException($"Bedrock stream failed before its first token: {code}: {message}");
        }

        _ended = true;
        OpenAiChunkWriter.Error(output, message, "upstream_error", code.Length > 0 ? code : null);
    }

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
