using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

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
public sealed partial class ApiRequest
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
        var seen = ReadFields.None;
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
                // A field Tandem reads must appear once: with two, Tandem could authorise, route or price on one value
                // while an upstream whose parser keeps the first (or the last) acts on the other.
                var field = FieldOf(ref reader, requiredName);
                if (field != ReadFields.None && (seen & field) != 0)
                {
                    var name = NameOf(field, requiredName);
                    problem = new($"Duplicate parameter '{name}': send it once.", name, "duplicate_parameter");
                    return null;
                }

                seen |= field;
                if (field == ReadFields.Model)
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        problem = new("Invalid type for 'model': expected a string.", "model", "invalid_type");
                        return null;
                    }

                    request._modelStart = (int)reader.TokenStartIndex;
                    if (!TryGetString(ref reader, out var model))
                    {
                        problem = InvalidText("model");
                        return null;
                    }

                    request.Model = model;
                    request._modelLength = (int)reader.BytesConsumed - request._modelStart;
                    hasModel = request.Model.Length > 0;
                }
                else if (field == ReadFields.Stream)
                {
                    reader.Read();
                    request.Stream = reader.TokenType == JsonTokenType.True;
                    reader.Skip();
                }
                else if (field == ReadFields.StreamOptions)
                {
                    reader.Read();
                    request._streamOptionsStart = (int)reader.TokenStartIndex;
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        var depth = reader.CurrentDepth;
                        var sawIncludeUsage = false;
                        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
                        {
                            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("include_usage"u8))
                            {
                                if (sawIncludeUsage)
                                {
                                    problem = new("Duplicate parameter 'stream_options.include_usage': send it once.", "stream_options", "duplicate_parameter");
                                    return null;
                                }

                                sawIncludeUsage = true;
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
                else if (field == ReadFields.Required)
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
                else if (field == ReadFields.User)
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        if (!TryGetString(ref reader, out var user))
                        {
                            problem = InvalidText("user");
                            return null;
                        }

                        request.User = user;
                    }

                    reader.Skip();
                }
                else if (field is ReadFields.Tools or ReadFields.Functions)
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
                else if (field == ReadFields.ResponseFormat)
                {
                    reader.Read();
                    if (!TryReadTypeField(ref reader, out var type))
                    {
                        problem = InvalidText("response_format");
                        return null;
                    }

                    request.ResponseFormat = type;
                }
                else if (field is ReadFields.MaxTokens or ReadFields.MaxCompletionTokens)
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var max))
                    {
                        request.MaxTokens = max;
                    }

                    reader.Skip();
                }
                else if (field == ReadFields.Metadata)
                {
                    reader.Read();
                    if (!TryReadStringMap(ref reader, out var metadata, out var metadataProblem))
                    {
                        problem = metadataProblem;
                        return null;
                    }

                    request.Metadata = metadata;
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

        // JSON text is UTF-8 (RFC 8259 §8.1). The fields above are decoded and checked as they are read; this pass
        // (vectorised, a fraction of a microsecond for a typical body) covers the message text forwarded unread.
        if (!Utf8.IsValid(body))
        {
            problem = InvalidUtf8Body;
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

    /// <summary>The problem reported for a body that is not valid UTF-8.</summary>
    public static RequestProblem InvalidUtf8Body { get; } = new(
        "We could not parse the JSON body of your request: it is not valid UTF-8. JSON text must be encoded as UTF-8.", null, "invalid_json");

    private static RequestProblem InvalidText(string param) => new(
        $"Invalid value for '{param}': the text is not valid UTF-8 or holds an unpaired surrogate escape (such as \\ud800).", param, "invalid_value");

    /// <summary>The problem reported for a body that is not valid JSON.</summary>
    public static RequestProblem MalformedBody { get; } = new(
        "We could not parse the JSON body of your request. The body must be a single JSON object.", null, "invalid_json");

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

                        sb.Append(JsonStrings.GetTolerant(ref reader));
                    }
                    else if (reader.TokenType == JsonTokenType.StartArray && reader.CurrentDepth == 1)
                    {
                        // prompt/input arrays of strings
                        while (reader.Read() && reader.TokenType == JsonTokenType.String)
                        {
                            sb.Append(JsonStrings.GetTolerant(ref reader));
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
