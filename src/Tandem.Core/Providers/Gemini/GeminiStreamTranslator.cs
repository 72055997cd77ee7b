using System.Buffers;
using System.Text;
using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Gemini;

/// <summary>
/// Translates <c>streamGenerateContent?alt=sse</c> (each event a partial <c>GenerateContentResponse</c>, CRLF or LF
/// framed) into OpenAI chunks as they arrive.
/// </summary>
/// <remarks>
/// <code>
///   first event                  → role chunk (id from responseId, model from modelVersion)
///   text part (not a thought)    → text chunk
///   functionCall part            → one tool call chunk: index, id, name and the whole arguments
///   finishReason, usageMetadata  → kept (usage is cumulative: the last one counts)
///   error object                 → OpenAI error event; the stream ends without [DONE]
///   end of the body              → finish chunk, usage chunk, [DONE] — when a finish reason came
/// </code>
/// Gemini's stream has no end event: it ends with its body. A body that ends before any candidate gave a finish
/// reason (or the prompt was blocked) is incomplete, and <see cref="Complete"/> throws.
/// </remarks>
internal sealed class GeminiStreamTranslator : ResponseTranslator
{
    private readonly SseEventReader _events = new();
    private readonly string _model;
    private readonly long _created;
    private readonly StringBuilder _text = new();
    private readonly List<(string Id, string Name, string Arguments)> _calls = [];
    private OpenAiChunkWriter? _writer;
    private TokenUsage? _usage;
    private string? _reason;
    private bool _failed;

    public GeminiStreamTranslator(string model, long created)
    {
        _model = model;
        _created = created;
    }

    public override void Translate(ReadOnlySpan<byte> received, IBufferWriter<byte> output)
    {
        _events.Append(received);
        while (_events.TryNext(out var data))
        {
            if (!data.IsEmpty && !_failed)
            {
                Event(data, output);
            }
        }
    }

    public override void Complete(IBufferWriter<byte> output)
    {
        if (_failed)
        {
            return;
        }

        if (_writer is null || _reason is null || _events.HasPartialEvent)
        {
            throw new IOException(_events.HasPartialEvent ? "the Gemini stream ended inside an event" : "the Gemini stream ended before a finish reason");
        }

        _writer.Finish(output, GeminiWire.FinishReason(_reason, _calls.Count > 0));
        _writer.UsageAndDone(output, _usage);
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
            throw new IOException("the Gemini stream sent an event that is not JSON", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (GeminiWire.ErrorOf(root) is { Message: not null } error)
            {
                OpenAiChunkWriter.Error(output, error.Message, ErrorTypes.Upstream, error.Status);
                _failed = true;
                return;
            }

            if (_writer is null)
            {
                _writer = new OpenAiChunkWriter(GeminiWire.StringOf(root, "responseId") ?? "", GeminiWire.StringOf(root, "modelVersion") ?? _model, _created);
                _writer.Role(output);
            }

            if (root.TryGetProperty("usageMetadata", out var usage))
            {
                _usage = GeminiWire.Usage(usage);
            }

            if (root.TryGetProperty("promptFeedback", out var feedback) && GeminiWire.StringOf(feedback, "blockReason") is not null)
            {
                _reason = "SAFETY";
            }

            if (!root.TryGetProperty("candidates", out var candidates) || candidates.ValueKind != JsonValueKind.Array || candidates.GetArrayLength() == 0)
            {
                return;
            }

            var candidate = candidates[0];
            _reason = GeminiWire.StringOf(candidate, "finishReason") ?? _reason;
            if (!candidate.TryGetProperty("content", out var content) || !content.TryGetProperty("parts", out var parts) || parts.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            foreach (var part in parts.EnumerateArray())
            {
                _text.Clear();
                var before = _calls.Count;
                GeminiResponseReader.ReadPart(part, _text, _calls, GeminiWire.StringOf(root, "responseId"));
                if (_text.Length > 0)
                {
                    _writer.Text(output, _text.ToString());
                }

                for (var i = before; i < _calls.Count; i++)
                {
                    _writer.ToolCall(output, i, _calls[i].Id, _calls[i].Name, _calls[i].Arguments);
                }
            }
        }
    }
}
