using System.Text;
using System.Text.Json;

namespace Tandem.Providers.Translation;

/// <summary>Who speaks a message. OpenAI's <c>developer</c> is a <see cref="System"/> message.</summary>
internal enum ChatRole : byte
{
    System,
    User,
    Assistant,
    Tool,
}

/// <summary>What a content part holds.</summary>
internal enum ContentKind : byte
{
    /// <summary>Text (<c>type: text</c>, or a message whose content is a string).</summary>
    Text,

    /// <summary>An assistant's refusal (<c>type: refusal</c>): text of the conversation.</summary>
    Refusal,

    /// <summary>An image (<c>type: image_url</c>).</summary>
    Image,

    /// <summary>Audio (<c>type: input_audio</c>), always inline.</summary>
    Audio,

    /// <summary>A file (<c>type: file</c> with <c>file_data</c>).</summary>
    File,
}

/// <summary>Where a media part's bytes are: inline (base64, with the media type) or at a URL.</summary>
/// <param name="MediaType">The media type (lower case); for a URL, the one its extension names, when the protocol needs it.</param>
/// <param name="Data">The base64 bytes, when inline.</param>
/// <param name="Url">The URL, when not inline.</param>
internal readonly record struct MediaSource(string? MediaType, string? Data, string? Url)
{
    /// <summary>Whether the bytes are in the request (a <c>data:</c> URL or audio).</summary>
    public bool IsInline => Data is not null;
}

/// <summary>One part of a message's content, checked against the protocol's <see cref="TranslationCapabilities"/>.</summary>
internal readonly struct ContentPart
{
    public ContentKind Kind { get; init; }

    /// <summary>The part's place in the content array; -1 for a message whose content is a string.</summary>
    public int Index { get; init; }

    /// <summary>The text (a JSON string) of a <see cref="ContentKind.Text"/> or <see cref="ContentKind.Refusal"/> part.</summary>
    public JsonElement Text { get; init; }

    /// <summary>The media of an image, audio or file part.</summary>
    public MediaSource Media { get; init; }

    /// <summary>Anthropic's prompt caching marker (an object), accepted on parts as an extension; undefined when absent.</summary>
    public JsonElement CacheControl { get; init; }

    /// <summary>Whether the part is text of the conversation (text or refusal).</summary>
    public bool IsText => Kind is ContentKind.Text or ContentKind.Refusal;
}

/// <summary>A tool call an assistant message made.</summary>
internal readonly struct ToolCall
{
    public int Index { get; init; }

    /// <summary>The call's id (a JSON string).</summary>
    public JsonElement Id { get; init; }

    /// <summary>The function's name (a JSON string).</summary>
    public JsonElement Name { get; init; }

    /// <summary>The arguments, parsed: a JSON object; undefined when the client sent none (an empty object).</summary>
    public JsonElement Arguments { get; init; }

    /// <summary>The document the arguments were parsed into, disposed with the request.</summary>
    internal JsonDocument? ArgumentsDocument { get; init; }
}

/// <summary>One message of the conversation.</summary>
internal readonly struct ChatMessage
{
    /// <summary>The message's place in <c>messages</c>, for the JSON paths of problems.</summary>
    public int Index { get; init; }

    public ChatRole Role { get; init; }

    /// <summary>
    /// The content as sent: a string, an array of parts, or undefined/null (an assistant message with tool calls only,
    /// a tool message without a result).
    /// </summary>
    public JsonElement Content { get; init; }

    /// <summary>The content's parts (a string content is one text part).</summary>
    public ReadOnlyMemory<ContentPart> Parts { get; init; }

    /// <summary>An assistant message's tool calls.</summary>
    public ReadOnlyMemory<ToolCall> ToolCalls { get; init; }

    /// <summary>The call a tool message answers (a JSON string); undefined for other roles.</summary>
    public JsonElement ToolCallId { get; init; }

    /// <summary>Whether the content is a string (rather than an array of parts).</summary>
    public bool HasStringContent => Content.ValueKind == JsonValueKind.String;

    /// <summary>The text of the text and refusal parts, joined (the message's text when it has no media).</summary>
    public string Text()
    {
        var parts = Parts.Span;
        if (parts.Length == 1)
        {
            return parts[0].IsText ? parts[0].Text.GetString()! : "";
        }

        var sb = new StringBuilder();
        foreach (var part in parts)
        {
            if (part.IsText)
            {
                sb.Append(part.Text.GetString());
            }
        }

        return sb.ToString();
    }

    /// <summary>The JSON path of one of its parts: <c>messages[2].content[0]</c>.</summary>
    public string PathOf(in ContentPart part) => $"messages[{Index}].content[{part.Index}]";
}

/// <summary>A function the model may call.</summary>
internal readonly struct ChatTool
{
    public int Index { get; init; }

    /// <summary>The function's name (a JSON string).</summary>
    public JsonElement Name { get; init; }

    /// <summary>Its description (a JSON string); undefined when there is none.</summary>
    public JsonElement Description { get; init; }

    /// <summary>Its parameters' JSON Schema (an object); undefined when there is none.</summary>
    public JsonElement Parameters { get; init; }

    /// <summary>Whether <c>function.strict</c> is true.</summary>
    public bool Strict { get; init; }

    /// <summary>Anthropic's prompt caching marker on the tool, accepted as an extension; undefined when absent.</summary>
    public JsonElement CacheControl { get; init; }
}

/// <summary>What <c>tool_choice</c> asks for.</summary>
internal enum ToolChoiceKind : byte
{
    /// <summary>Not set: the provider's default, which is <see cref="Auto"/> for every protocol Tandem speaks.</summary>
    Unset,
    Auto,
    None,
    Required,

    /// <summary>One named function (<see cref="ToolChoice.Name"/>).</summary>
    Function,
}

/// <summary>The <c>tool_choice</c> of a request.</summary>
internal readonly record struct ToolChoice(ToolChoiceKind Kind, string? Name);

/// <summary>What <c>response_format</c> asks for.</summary>
internal enum ResponseFormatKind : byte
{
    /// <summary>Not set, or <c>text</c>.</summary>
    Text,
    JsonObject,
    JsonSchema,
}

/// <summary>The <c>response_format</c> of a request.</summary>
internal readonly struct ResponseFormat
{
    private readonly JsonElement _name;
    private readonly JsonElement _description;

    public ResponseFormat(ResponseFormatKind kind, JsonElement schema, JsonElement name, JsonElement description)
    {
        Kind = kind;
        Schema = schema;
        _name = name;
        _description = description;
    }

    public ResponseFormatKind Kind { get; }

    /// <summary>The JSON Schema (an object) of a <see cref="ResponseFormatKind.JsonSchema"/> format.</summary>
    public JsonElement Schema { get; }

    /// <summary><c>json_schema.name</c>, when it is a string.</summary>
    public string? Name => _name.ValueKind == JsonValueKind.String ? _name.GetString() : null;

    /// <summary><c>json_schema.description</c>, when it is a string.</summary>
    public string? Description => _description.ValueKind == JsonValueKind.String ? _description.GetString() : null;
}

/// <summary>The <c>stop</c> sequences: a string or an array of strings, as sent.</summary>
internal readonly struct StopSequences(JsonElement value)
{
    /// <summary>Whether <c>stop</c> was sent (possibly as an empty array).</summary>
    public bool IsSet => value.ValueKind is JsonValueKind.String or JsonValueKind.Array;

    /// <summary>How many sequences there are.</summary>
    public int Count => value.ValueKind switch
    {
        JsonValueKind.String => 1,
        JsonValueKind.Array => value.GetArrayLength(),
        _ => 0,
    };

    /// <summary>Writes the sequences as an array property.</summary>
    public void WriteArray(Utf8JsonWriter w, string name)
    {
        w.WriteStartArray(name);
        if (value.ValueKind == JsonValueKind.String)
        {
            value.WriteTo(w);
        }
        else if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var s in value.EnumerateArray())
            {
                s.WriteTo(w);
            }
        }

        w.WriteEndArray();
    }
}

/// <summary>A number parameter as the client wrote it (checked against OpenAI's range), or not set.</summary>
internal readonly struct OptionalNumber(JsonElement value)
{
    public bool IsSet => value.ValueKind == JsonValueKind.Number;

    public double Value => value.GetDouble();

    public long Int64 => value.GetInt64();

    /// <summary>Writes the property with the number exactly as the client wrote it.</summary>
    public void Write(Utf8JsonWriter w, string name)
    {
        w.WritePropertyName(name);
        value.WriteTo(w);
    }
}
