using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tandem.Wire;

/// <summary>Which OpenAI endpoint a request body belongs to; decides the required fields.</summary>
public enum ApiOperation
{
    /// <summary><c>POST /v1/chat/completions</c>: needs <c>model</c> and <c>messages</c>.</summary>
    ChatCompletions,

    /// <summary><c>POST /v1/completions</c>: needs <c>model</c> and <c>prompt</c>.</summary>
    Completions,

    /// <summary><c>POST /v1/embeddings</c>: needs <c>model</c> and <c>input</c>.</summary>
    Embeddings,
}

/// <summary>Why a request body was refused, in OpenAI's error vocabulary.</summary>
public readonly record struct RequestProblem(string Message, string? Param, string? Code);

/// <summary>
/// What Tandem reads of a request body in one forward-only pass: the few top-level fields it acts on, and where
/// they sit in the raw bytes so that the body can be forwarded with only <c>model</c> (and, for streams,
/// <c>stream_options</c>) changed. Every other byte, known or unknown field, is forwarded as the client sent it.
/// </summary>
public sealed class ApiRequest
{
    private static readonly byte[] IncludeUsageInsert = "\"stream_options\":{\"include_usage\":true},"u8.ToArray();
    private static readonly byte[] IncludeUsageObject = "{\"include_usage\":true}"u8.ToArray();

    private int _objectStart;
    private int _modelStart;
    private int _modelLength;
    private int _streamOptionsStart = -1;
    private int _streamOptionsLength;
    private int _promptStart;
    private int _promptLength;
    private byte[]? _prompt;

    private ApiRequest()
    {
    }

    /// <summary>The <c>model</c> the client asked for.</summary>
    public string Model { get; private set; } = "";

    /// <summary>Whether <c>stream</c> is true.</summary>
    public bool Stream { get; private set; }

    /// <summary>Whether the client itself asked for <c>stream_options.include_usage</c>.</summary>
    public bool ClientWantsUsage { get; private set; }

    /// <summary>The OpenAI <c>user</c> field, when present.</summary>
    public string? User { get; private set; }

    /// <summary>Whether <c>tools</c> (or legacy <c>functions</c>) is present and non-empty.</summary>
    public bool HasTools { get; private set; }

    /// <summary>The <c>response_format.type</c>, when present (<c>json_object</c>, <c>json_schema</c>).</summary>
    public string? ResponseFormat { get; private set; }

    /// <summary>Whether any message carries an image part.</summary>
    public bool HasImages { get; private set; }

    /// <summary>String values of the <c>metadata</c> object, when present (client tags).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; private set; }

    /// <summary>Total characters of message text (or prompt/input), a cheap input-size estimate.</summary>
    public int PromptChars { get; private set; }

    /// <summary>Number of messages with role <c>user</c>.</summary>
    public int UserTurns { get; private set; }

    /// <summary>The <c>max_tokens</c> / <c>max_completion_tokens</c> the client set, if any.</summary>
    public int? MaxTokens { get; private set; }

    /// <summary>
    /// A rough prompt-token estimate (4 characters a token plus per-message framing), for routing on context size.
    /// Cost accounting uses the upstream's usage, or a real tokenizer when usage is missing.
    /// </summary>
    public int EstimatedPromptTokens => (PromptChars / 4) + (4 * Math.Max(1, UserTurns));

    /// <summary>
    /// Parses a request body. Returns null and sets <paramref name="problem"/> when the body is not a JSON object or
    /// lacks a required field.
    /// </summary>
    public static ApiRequest? Parse(ReadOnlySpan<byte> body, ApiOperation operation, out RequestProblem problem)
    {
        problem = default;
        var request = new ApiRequest();
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 128 });
        var hasModel = false;
        var hasRequired = false;
        var requiredName = operation switch
        {
            ApiOperation.ChatCompletions => "messages",
            ApiOperation.Completions => "prompt",
            _ => "input",
        };

        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                problem = MalformedBody;
                return null;
            }

            request._objectStart = (int)reader.TokenStartIndex;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        problem = new("Invalid type for 'model': expected a string.", "model", "invalid_type");
                        return null;
                    }

                    request._modelStart = (int)reader.TokenStartIndex;
                    request.Model = reader.GetString() ?? "";
                    request._modelLength = (int)reader.BytesConsumed - request._modelStart;
                    hasModel = request.Model.Length > 0;
                }
                else if (reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    request.Stream = reader.TokenType == JsonTokenType.True;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("stream_options"u8))
                {
                    reader.Read();
                    request._streamOptionsStart = (int)reader.TokenStartIndex;
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        var depth = reader.CurrentDepth;
                        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
                        {
                            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("include_usage"u8))
                            {
                                reader.Read();
                                request.ClientWantsUsage = reader.TokenType == JsonTokenType.True;
                            }
                            else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                            {
                                reader.Skip();
                            }
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }

                    request._streamOptionsLength = (int)reader.BytesConsumed - request._streamOptionsStart;
                }
                else if (reader.ValueTextEquals(requiredName))
                {
                    reader.Read();
                    hasRequired = reader.TokenType != JsonTokenType.Null;
                    request._promptStart = (int)reader.TokenStartIndex;
                    if (operation == ApiOperation.ChatCompletions)
                    {
                        if (reader.TokenType != JsonTokenType.StartArray)
                        {
                            problem = new("Invalid type for 'messages': expected an array of objects.", "messages", "invalid_type");
                            return null;
                        }

                        request.ReadMessages(ref reader);
                    }
                    else
                    {
                        request.PromptChars += CountText(ref reader);
                    }

                    request._promptLength = (int)reader.BytesConsumed - request._promptStart;
                }
                else if (reader.ValueTextEquals("user"u8))
                {
                    reader.Read();
                    request.User = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("tools"u8) || reader.ValueTextEquals("functions"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        var start = reader.BytesConsumed;
                        reader.Skip();
                        request.HasTools |= reader.BytesConsumed - start > 1;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("response_format"u8))
                {
                    reader.Read();
                    request.ResponseFormat = ReadTypeField(ref reader);
                }
                else if (reader.ValueTextEquals("max_tokens"u8) || reader.ValueTextEquals("max_completion_tokens"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var max))
                    {
                        request.MaxTokens = max;
                    }

                    reader.Skip();
                }
                else if (reader.ValueTextEquals("metadata"u8))
                {
                    reader.Read();
                    request.Metadata = ReadStringMap(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                // Trailing content after the object, or a truncated object.
                problem = MalformedBody;
                return null;
            }
        }
        catch (JsonException)
        {
            problem = MalformedBody;
            return null;
        }

        if (!hasModel)
        {
            problem = new("You must provide a model parameter.", "model", "missing_required_parameter");
            return null;
        }

        if (!hasRequired)
        {
            problem = new($"Missing required parameter: '{requiredName}'.", requiredName, "missing_required_parameter");
            return null;
        }

        request.RetainPrompt(body);
        return request;
    }

    /// <summary>
    /// The raw JSON value of <c>messages</c>, <c>prompt</c> or <c>input</c>, kept for token estimates and content
    /// capture once the body buffer is gone. Empty after <see cref="ReleasePromptJson"/>.
    /// </summary>
    public ReadOnlySpan<byte> PromptJson => _prompt is null ? default : _prompt.AsSpan(0, _promptLength);

    /// <summary>Returns the pooled copy behind <see cref="PromptJson"/>; call once the request's record is finished.</summary>
    public void ReleasePromptJson()
    {
        var prompt = Interlocked.Exchange(ref _prompt, null);
        if (prompt is not null)
        {
            ArrayPool<byte>.Shared.Return(prompt);
        }
    }

    private void RetainPrompt(ReadOnlySpan<byte> body)
    {
        // A pooled copy of one slice (a memcpy): the body buffer is returned before the record is finished, and
        // estimating or capturing needs the text only then. Kept for every request because which deployment and
        // route will serve is not known yet while parsing.
        if (_promptLength <= 0 || _promptStart + _promptLength > body.Length)
        {
            _promptLength = 0;
            return;
        }

        _prompt = ArrayPool<byte>.Shared.Rent(_promptLength);
        body.Slice(_promptStart, _promptLength).CopyTo(_prompt);
    }

    /// <summary>The problem reported for a body that is not valid JSON.</summary>
    public static RequestProblem MalformedBody { get; } = new(
        "We could not parse the JSON body of your request. The body must be a single JSON object.", null, "invalid_json");

    /// <summary>
    /// Writes the body to forward upstream: the client's bytes with <c>model</c> replaced by
    /// <paramref name="upstreamModel"/> and, when <paramref name="forceUsage"/> and the request streams,
    /// <c>stream_options.include_usage</c> set to true.
    /// </summary>
    public void WriteUpstreamBody(ReadOnlySpan<byte> body, string upstreamModel, bool forceUsage, IBufferWriter<byte> output)
    {
        var encoded = new ArrayBufferWriter<byte>(upstreamModel.Length + 8);
        WriteJsonString(upstreamModel, encoded);
        WriteUpstreamBody(body, encoded.WrittenSpan, forceUsage, output);
    }

    /// <summary>As <see cref="WriteUpstreamBody(ReadOnlySpan{byte}, string, bool, IBufferWriter{byte})"/>, with the model already encoded as a JSON string literal.</summary>
    public void WriteUpstreamBody(ReadOnlySpan<byte> body, ReadOnlySpan<byte> upstreamModelJson, bool forceUsage, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var injectUsage = forceUsage && Stream && !ClientWantsUsage;
        var pos = 0;

        // Edits in ascending order of position: insertion after '{', then the two value replacements.
        if (injectUsage && _streamOptionsStart < 0)
        {
            Copy(body[..(_objectStart + 1)], output);
            Copy(IncludeUsageInsert, output);
            pos = _objectStart + 1;
        }

        var replaceOptions = injectUsage && _streamOptionsStart >= 0;
        if (replaceOptions && _streamOptionsStart < _modelStart)
        {
            Copy(body[pos.._streamOptionsStart], output);
            WriteStreamOptions(body.Slice(_streamOptionsStart, _streamOptionsLength), output);
            pos = _streamOptionsStart + _streamOptionsLength;
            replaceOptions = false;
        }

        Copy(body[pos.._modelStart], output);
        Copy(upstreamModelJson, output);
        pos = _modelStart + _modelLength;

        if (replaceOptions)
        {
            Copy(body[pos.._streamOptionsStart], output);
            WriteStreamOptions(body.Slice(_streamOptionsStart, _streamOptionsLength), output);
            pos = _streamOptionsStart + _streamOptionsLength;
        }

        Copy(body[pos..], output);
    }

    private static void WriteStreamOptions(ReadOnlySpan<byte> original, IBufferWriter<byte> output)
    {
        // Rare path: the client sent stream_options without include_usage:true. Keep its other options.
        if (JsonNode.Parse(original) is JsonObject obj)
        {
            obj["include_usage"] = true;
            using var writer = new Utf8JsonWriter(output);
            obj.WriteTo(writer);
            return;
        }

        Copy(IncludeUsageObject, output);
    }

    private static void WriteJsonString(string value, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStringValue(value);
    }

    private static void Copy(ReadOnlySpan<byte> source, IBufferWriter<byte> output)
    {
        if (source.IsEmpty)
        {
            return;
        }

        source.CopyTo(output.GetSpan(source.Length));
        output.Advance(source.Length);
    }

    private void ReadMessages(ref Utf8JsonReader reader)
    {
        // reader is on StartArray of messages.
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == depth))
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 2)
            {
                if (reader.ValueTextEquals("role"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("user"u8))
                    {
                        UserTurns++;
                    }
                }
                else if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        PromptChars += reader.ValueSpan.Length;
                    }
                    else if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        ReadContentParts(ref reader);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
    }

    private void ReadContentParts(ref Utf8JsonReader reader)
    {
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == depth))
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 2)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && (reader.ValueTextEquals("image_url"u8) || reader.ValueTextEquals("input_image"u8)))
                    {
                        HasImages = true;
                    }
                }
                else if (reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        PromptChars += reader.ValueSpan.Length;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
    }

    private static int CountText(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.ValueSpan.Length;
        }

        if (reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.StartObject))
        {
            return 0;
        }

        var total = 0;
        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                total += reader.ValueSpan.Length;
            }
            else if (reader.TokenType == JsonTokenType.Number)
            {
                total += 1;
            }
        }

        return total;
    }

    private static string? ReadTypeField(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        string? type = null;
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        return type;
    }

    private static Dictionary<string, string>? ReadStringMap(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                map[name] = reader.GetString()!;
            }
            else
            {
                reader.Skip();
            }
        }

        return map;
    }

    /// <summary>
    /// The text of all messages (or the prompt/input), joined by newlines. Allocates: called only when a policy needs
    /// the text (sensitive-data rules, complexity scoring).
    /// </summary>
    public static string ExtractText(ReadOnlySpan<byte> body)
    {
        var sb = new StringBuilder();
        var reader = new Utf8JsonReader(body);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName
                    && (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("prompt"u8) || reader.ValueTextEquals("input"u8) || reader.ValueTextEquals("arguments"u8)))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        if (sb.Length > 0)
                        {
                            sb.Append('\n');
                        }

                        sb.Append(reader.GetString());
                    }
                    else if (reader.TokenType == JsonTokenType.StartArray && reader.CurrentDepth == 1)
                    {
                        // prompt/input arrays of strings
                        while (reader.Read() && reader.TokenType == JsonTokenType.String)
                        {
                            sb.Append('\n').Append(reader.GetString());
                        }
                    }
                }
            }
        }
        catch (JsonException)
        {
        }

        return sb.ToString();
    }

    /// <summary>Decodes a body for diagnostics (tests, capture); not used on the forwarding path.</summary>
    internal static string Describe(ReadOnlySpan<byte> body) => Encoding.UTF8.GetString(body);
}
