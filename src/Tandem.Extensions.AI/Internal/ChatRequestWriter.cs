using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Tandem.Extensions.AI.Internal;

/// <summary>
/// Writes a caller's <see cref="ChatMessage"/>s and <see cref="ChatOptions"/> once as an OpenAI chat completion request.
/// The bytes are what the rest of Tandem reads: <c>ApiRequest.Parse</c> for the routing view (rules, personal data,
/// tiers, context windows), records (prompt capture, token estimates) and shadow samples, and the body a deployment
/// reached over HTTP receives (through its provider adapter). A deployment that is an <see cref="IChatClient"/> gets
/// the caller's own messages and options instead, so nothing is lost on its way.
/// </summary>
/// <remarks>
/// Written: text, images (data and URLs), tool calls and tool results, the author name; temperature, top_p, top_k,
/// max_tokens, penalties, seed, stop, response format (text, JSON, JSON schema), tools (function declarations), tool
/// choice, parallel tool calls, reasoning effort, and from <see cref="ChatOptions.AdditionalProperties"/> the
/// <c>user</c> (a string) and <c>metadata</c> (string pairs). Content with no OpenAI chat form (audio, files, hosted
/// tools…) is named in <see cref="Written.Unsupported"/>: a deployment over HTTP cannot take such a request.
/// </remarks>
internal static class ChatRequestWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    // M.E.AI's defaults indent; arguments and results travel as compact JSON strings, as OpenAI's own clients send them.
    private static readonly JsonSerializerOptions Compact = CompactOptions();

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>What was written.</summary>
    /// <param name="Unsupported">The first content or tool kind that has no OpenAI chat form, or null.</param>
    internal readonly record struct Written(string? Unsupported);

    public static Written Write(IBufferWriter<byte> output, string model, IEnumerable<ChatMessage> messages, ChatOptions? options, bool stream)
    {
        // One writer per thread, reset onto each output: no allocation per request.
        var writer = t_writer ??= new Utf8JsonWriter(output, WriterOptions);
        writer.Reset(output);
        string? unsupported = null;
        writer.WriteStartObject();
        writer.WriteString("model"u8, model);
        writer.WriteBoolean("stream"u8, stream);
        writer.WriteStartArray("messages"u8);
        if (options?.Instructions is { Length: > 0 } instructions)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, "system"u8);
            writer.WriteString("content"u8, instructions);
            writer.WriteEndObject();
        }

        if (messages is IList<ChatMessage> list)
        {
            // Indexed: no boxed enumerator per request.
            for (var i = 0; i < list.Count; i++)
            {
                WriteMessage(writer, list[i], ref unsupported);
            }
        }
        else
        {
            foreach (var message in messages)
            {
                WriteMessage(writer, message, ref unsupported);
            }
        }

        writer.WriteEndArray();
        if (options is not null)
        {
            WriteOptions(writer, options, ref unsupported);
        }

        writer.WriteEndObject();
        writer.Flush();
        return new Written(unsupported);
    }

    private static void WriteMessage(Utf8JsonWriter writer, ChatMessage message, ref string? unsupported)
    {
        var contents = message.Contents;
        var texts = 0;
        var images = 0;
        var calls = 0;
        var results = 0;
        for (var i = 0; i < contents.Count; i++)
        {
            switch (contents[i])
            {
                case TextContent:
                    texts++;
                    break;
                case DataContent d when d.HasTopLevelMediaType("image"):
                    images++;
                    break;
                case UriContent u when u.HasTopLevelMediaType("image"):
                    images++;
                    break;
                case FunctionCallContent:
                    calls++;
                    break;
                case FunctionResultContent:
                    results++;
                    break;
                case TextReasoningContent or UsageContent:
                    // Output of an earlier answer that OpenAI's chat protocol does not take back: not part of the request.
                    break;
                case var other:
                    unsupported ??= other.GetType().Name;
                    break;
            }
        }

        if (texts + images + calls > 0 || results == 0)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, message.Role.Value);
            if (message.AuthorName is { Length: > 0 } name)
            {
                writer.WriteString("name"u8, name);
            }

            if (images > 0)
            {
                writer.WriteStartArray("content"u8);
                for (var i = 0; i < contents.Count; i++)
                {
                    WritePart(writer, contents[i]);
                }

                writer.WriteEndArray();
            }
            else if (texts > 0)
            {
                writer.WritePropertyName("content"u8);
                WriteText(writer, contents, texts);
            }
            else if (calls > 0)
            {
                writer.WriteNull("content"u8);
            }
            else
            {
                writer.WriteString("content"u8, ""u8);
            }

            if (calls > 0)
            {
                writer.WriteStartArray("tool_calls"u8);
                for (var i = 0; i < contents.Count; i++)
                {
                    if (contents[i] is FunctionCallContent call)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("id"u8, call.CallId);
                        writer.WriteString("type"u8, "function"u8);
                        writer.WriteStartObject("function"u8);
                        writer.WriteString("name"u8, call.Name);
                        writer.WriteString("arguments"u8, call.Arguments is null ? "{}" : JsonSerializer.Serialize(call.Arguments, Compact.GetTypeInfo(typeof(IDictionary<string, object?>))));
                        writer.WriteEndObject();
                        writer.WriteEndObject();
                    }
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        if (results > 0)
        {
            // OpenAI takes each tool result as a message of its own.
            for (var i = 0; i < contents.Count; i++)
            {
                if (contents[i] is FunctionResultContent result)
                {
                    writer.WriteStartObject();
                    writer.WriteString("role"u8, "tool"u8);
                    writer.WriteString("tool_call_id"u8, result.CallId);
                    writer.WriteString("content"u8, ResultText(result.Result));
                    writer.WriteEndObject();
                }
            }
        }
    }

    private static void WriteText(Utf8JsonWriter writer, IList<AIContent> contents, int texts)
    {
        if (texts == 1)
        {
            for (var i = 0; i < contents.Count; i++)
            {
                if (contents[i] is TextContent text)
                {
                    writer.WriteStringValue(text.Text);
                    return;
                }
            }
        }

        var joined = new System.Text.StringBuilder();
        for (var i = 0; i < contents.Count; i++)
        {
            if (contents[i] is TextContent text)
            {
                joined.Append(text.Text);
            }
        }

        writer.WriteStringValue(joined.ToString());
    }

    private static void WritePart(Utf8JsonWriter writer, AIContent content)
    {
        switch (content)
        {
            case TextContent text:
                writer.WriteStartObject();
                writer.WriteString("type"u8, "text"u8);
                writer.WriteString("text"u8, text.Text);
                writer.WriteEndObject();
                break;
            case DataContent data when data.HasTopLevelMediaType("image"):
                WriteImage(writer, data.Uri);
                break;
            case UriContent uri when uri.HasTopLevelMediaType("image"):
                WriteImage(writer, uri.Uri.ToString());
                break;
        }
    }

    private static void WriteImage(Utf8JsonWriter writer, string url)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "image_url"u8);
        writer.WriteStartObject("image_url"u8);
        writer.WriteString("url"u8, url);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static string ResultText(object? result) => result switch
    {
        null => "",
        string s => s,
        JsonElement e => e.GetRawText(),
        _ => JsonSerializer.Serialize(result, Compact.GetTypeInfo(result.GetType())),
    };

    private static JsonSerializerOptions CompactOptions()
    {
        var options = new JsonSerializerOptions(AIJsonUtilities.DefaultOptions) { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        options.MakeReadOnly();
        return options;
    }

    private static void WriteOptions(Utf8JsonWriter writer, ChatOptions options, ref string? unsupported)
    {
        if (options.Temperature is float temperature)
        {
            writer.WriteNumber("temperature"u8, temperature);
        }

        if (options.TopP is float topP)
        {
            writer.WriteNumber("top_p"u8, topP);
        }

        if (options.TopK is int topK)
        {
            writer.WriteNumber("top_k"u8, topK);
        }

        if (options.MaxOutputTokens is int maxTokens)
        {
            writer.WriteNumber("max_tokens"u8, maxTokens);
        }

        if (options.FrequencyPenalty is float frequency)
        {
            writer.WriteNumber("frequency_penalty"u8, frequency);
        }

        if (options.PresencePenalty is float presence)
        {
            writer.WriteNumber("presence_penalty"u8, presence);
        }

        if (options.Seed is long seed)
        {
            writer.WriteNumber("seed"u8, seed);
        }

        if (options.StopSequences is { Count: > 0 } stops)
        {
            writer.WriteStartArray("stop"u8);
            foreach (var stop in stops)
            {
                writer.WriteStringValue(stop);
            }

            writer.WriteEndArray();
        }

        if (options.Reasoning?.Effort is { } effort && effort != ReasoningEffort.None)
        {
            writer.WriteString("reasoning_effort"u8, effort switch
            {
                ReasoningEffort.Low => "low",
                ReasoningEffort.Medium => "medium",
                _ => "high",
            });
        }

        WriteResponseFormat(writer, options.ResponseFormat);
        WriteTools(writer, options, ref unsupported);
        if (options.AdditionalProperties is { } extra)
        {
            if (extra.TryGetValue("user", out var user) && user is string u)
            {
                writer.WriteString("user"u8, u);
            }

            if (extra.TryGetValue("metadata", out var metadata) && metadata is IEnumerable<KeyValuePair<string, string>> pairs)
            {
                writer.WriteStartObject("metadata"u8);
                foreach (var (key, value) in pairs)
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }
        }
    }

    private static void WriteResponseFormat(Utf8JsonWriter writer, ChatResponseFormat? format)
    {
        switch (format)
        {
            case ChatResponseFormatText:
                writer.WriteStartObject("response_format"u8);
                writer.WriteString("type"u8, "text"u8);
                writer.WriteEndObject();
                break;
            case ChatResponseFormatJson { Schema: { } schema } json:
                writer.WriteStartObject("response_format"u8);
                writer.WriteString("type"u8, "json_schema"u8);
                writer.WriteStartObject("json_schema"u8);
                writer.WriteString("name"u8, json.SchemaName ?? "response");
                if (json.SchemaDescription is { } description)
                {
                    writer.WriteString("description"u8, description);
                }

                writer.WritePropertyName("schema"u8);
                schema.WriteTo(writer);
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            case ChatResponseFormatJson:
                writer.WriteStartObject("response_format"u8);
                writer.WriteString("type"u8, "json_object"u8);
                writer.WriteEndObject();
                break;
        }
    }

    private static void WriteTools(Utf8JsonWriter writer, ChatOptions options, ref string? unsupported)
    {
        if (options.Tools is not { Count: > 0 } tools)
        {
            return;
        }

        writer.WriteStartArray("tools"u8);
        foreach (var tool in tools)
        {
            if (tool is not AIFunctionDeclaration function)
            {
                unsupported ??= tool.GetType().Name;
                continue;
            }

            writer.WriteStartObject();
            writer.WriteString("type"u8, "function"u8);
            writer.WriteStartObject("function"u8);
            writer.WriteString("name"u8, function.Name);
            if (function.Description is { Length: > 0 } description)
            {
                writer.WriteString("description"u8, description);
            }

            writer.WritePropertyName("parameters"u8);
            function.JsonSchema.WriteTo(writer);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        switch (options.ToolMode)
        {
            case NoneChatToolMode:
                writer.WriteString("tool_choice"u8, "none"u8);
                break;
            case AutoChatToolMode:
                writer.WriteString("tool_choice"u8, "auto"u8);
                break;
            case RequiredChatToolMode { RequiredFunctionName: { } name }:
                writer.WriteStartObject("tool_choice"u8);
                writer.WriteString("type"u8, "function"u8);
                writer.WriteStartObject("function"u8);
                writer.WriteString("name"u8, name);
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            case RequiredChatToolMode:
                writer.WriteString("tool_choice"u8, "required"u8);
                break;
        }

        if (options.AllowMultipleToolCalls is bool parallel)
        {
            writer.WriteBoolean("parallel_tool_calls"u8, parallel);
        }
    }
}
