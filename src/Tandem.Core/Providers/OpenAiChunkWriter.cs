using System.Buffers;
using System.Text.Json;
using Tandem.Wire;

namespace Tandem.Providers;

/// <summary>
/// Writes OpenAI chat completion responses and stream chunks for translating adapters, in the shape the OpenAI API
/// sends (<c>chat.completion</c> / <c>chat.completion.chunk</c>, one choice, usage in its own final chunk).
/// </summary>
public sealed class OpenAiChunkWriter
{
    private readonly string _id;
    private readonly string _model;
    private readonly long _created;

    /// <summary>Creates a writer for one answer.</summary>
    public OpenAiChunkWriter(string id, string model, long created)
    {
        _id = id;
        _model = model;
        _created = created;
    }

    /// <summary>A chunk with the assistant role (the stream's first).</summary>
    public void Role(IBufferWriter<byte> output) => Chunk(output, w => w.WriteString("role", "assistant"), null);

    /// <summary>A chunk with text.</summary>
    public void Text(IBufferWriter<byte> output, string text) => Chunk(output, w => w.WriteString("content", text), null);

    /// <summary>A chunk that starts a tool call (id and name) or continues its arguments.</summary>
    public void ToolCall(IBufferWriter<byte> output, int index, string? id, string? name, string? argumentsPart) => Chunk(output, w =>
    {
        w.WriteStartArray("tool_calls");
        w.WriteStartObject();
        w.WriteNumber("index", index);
        if (id is not null)
        {
            w.WriteString("id", id);
            w.WriteString("type", "function");
        }

        w.WriteStartObject("function");
        if (name is not null)
        {
            w.WriteString("name", name);
        }

        w.WriteString("arguments", argumentsPart ?? "");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
    }, null);

    /// <summary>The chunk with the finish reason (empty delta).</summary>
    public void Finish(IBufferWriter<byte> output, string finishReason) => Chunk(output, static _ => { }, finishReason);

    /// <summary>The usage-only chunk (<c>choices: []</c>), then <c>[DONE]</c>.</summary>
    public void UsageAndDone(IBufferWriter<byte> output, TokenUsage? usage)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (usage is { } u)
        {
            Event(output, w =>
            {
                Header(w, "chat.completion.chunk");
                w.WriteStartArray("choices");
                w.WriteEndArray();
                WriteUsage(w, u);
            });
        }

        output.Write("data: [DONE]\n\n"u8);
    }

    /// <summary>An error event (<c>data: {"error":…}</c>), for a provider error that arrives mid-stream.</summary>
    public static void Error(IBufferWriter<byte> output, string message, string type, string? code)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write("data: "u8);
        OpenAiError.Write(output, message, type, null, code);
        output.Write("\n\n"u8);
    }

    /// <summary>A whole <c>chat.completion</c> response with one choice.</summary>
    public byte[] Completion(string? content, string finishReason, TokenUsage? usage, Action<Utf8JsonWriter>? toolCalls = null)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            Header(w, "chat.completion");
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            if (content is null)
            {
                w.WriteNull("content");
            }
            else
            {
                w.WriteString("content", content);
            }

            toolCalls?.Invoke(w);
            w.WriteEndObject();
            w.WriteNull("logprobs");
            w.WriteString("finish_reason", finishReason);
            w.WriteEndObject();
            w.WriteEndArray();
            if (usage is { } u)
            {
                WriteUsage(w, u);
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void Chunk(IBufferWriter<byte> output, Action<Utf8JsonWriter> delta, string? finishReason) => Event(output, w =>
    {
        Header(w, "chat.completion.chunk");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        delta(w);
        w.WriteEndObject();
        w.WriteNull("logprobs");
        if (finishReason is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finishReason);
        }

        w.WriteEndObject();
        w.WriteEndArray();
    });

    private static void Event(IBufferWriter<byte> output, Action<Utf8JsonWriter> body)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write("data: "u8);
        using (var w = new Utf8JsonWriter(output))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        output.Write("\n\n"u8);
    }

    private void Header(Utf8JsonWriter w, string type)
    {
        w.WriteString("id", _id);
        w.WriteString("object", type);
        w.WriteNumber("created", _created);
        w.WriteString("model", _model);
    }

    private static void WriteUsage(Utf8JsonWriter w, TokenUsage u)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", u.PromptTokens);
        w.WriteNumber("completion_tokens", u.CompletionTokens);
        w.WriteNumber("total_tokens", u.PromptTokens + u.CompletionTokens);
        if (u.CachedTokens > 0)
        {
            w.WriteStartObject("prompt_tokens_details");
            w.WriteNumber("cached_tokens", u.CachedTokens);
            w.WriteEndObject();
        }

        if (u.ReasoningTokens > 0)
        {
            w.WriteStartObject("completion_tokens_details");
            w.WriteNumber("reasoning_tokens", u.ReasoningTokens);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }
}
