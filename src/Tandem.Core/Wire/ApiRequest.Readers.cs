using System.Text.Json;

namespace Tandem.Wire;

/// <summary>Readers of the parts of a request body Tandem acts on, in one forward-only pass.</summary>
public sealed partial class ApiRequest
{
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

    private static bool TryReadTypeField(ref Utf8JsonReader reader, out string? type)
    {
        type = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return true;
        }

        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = null;
                if (reader.TokenType == JsonTokenType.String && !TryGetString(ref reader, out type))
                {
                    return false;
                }
            }
            else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        return true;
    }

    /// <summary>
    /// Reads the string members of <c>metadata</c> (rules and sticky routing read them). A key given twice, or text
    /// that cannot be decoded, is refused rather than read one way here and another way upstream.
    /// </summary>
    private static bool TryReadStringMap(ref Utf8JsonReader reader, out Dictionary<string, string>? map, out RequestProblem problem)
    {
        map = null;
        problem = default;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return true;
        }

        map = new Dictionary<string, string>(StringComparer.Ordinal);
        List<string>? skipped = null; // names of non-string members, kept only to spot their duplicates
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!TryGetString(ref reader, out var name))
            {
                problem = InvalidText("metadata");
                return false;
            }

            if (map.ContainsKey(name) || skipped?.Contains(name, StringComparer.Ordinal) == true)
            {
                problem = new($"Duplicate key '{name}' in 'metadata': send it once.", "metadata", "duplicate_parameter");
                return false;
            }

            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                if (!TryGetString(ref reader, out var value))
                {
                    problem = InvalidText("metadata");
                    return false;
                }

                map[name] = value;
            }
            else
            {
                (skipped ??= []).Add(name);
                reader.Skip();
            }
        }

        return true;
    }

    private static bool TryGetString(ref Utf8JsonReader reader, out string value) => JsonStrings.TryGet(ref reader, out value);

    /// <summary>Top-level fields Tandem reads, each of which must appear at most once.</summary>
    [Flags]
    private enum ReadFields
    {
        None = 0,
        Model = 1 << 0,
        Stream = 1 << 1,
        StreamOptions = 1 << 2,
        Required = 1 << 3,
        User = 1 << 4,
        Tools = 1 << 5,
        Functions = 1 << 6,
        ResponseFormat = 1 << 7,
        MaxTokens = 1 << 8,
        MaxCompletionTokens = 1 << 9,
        Metadata = 1 << 10,
    }

    private static ReadFields FieldOf(ref Utf8JsonReader reader, string requiredName) =>
        reader.ValueTextEquals("model"u8) ? ReadFields.Model
        : reader.ValueTextEquals("stream"u8) ? ReadFields.Stream
        : reader.ValueTextEquals("stream_options"u8) ? ReadFields.StreamOptions
        : reader.ValueTextEquals(requiredName) ? ReadFields.Required
        : reader.ValueTextEquals("user"u8) ? ReadFields.User
        : reader.ValueTextEquals("tools"u8) ? ReadFields.Tools
        : reader.ValueTextEquals("functions"u8) ? ReadFields.Functions
        : reader.ValueTextEquals("response_format"u8) ? ReadFields.ResponseFormat
        : reader.ValueTextEquals("max_tokens"u8) ? ReadFields.MaxTokens
        : reader.ValueTextEquals("max_completion_tokens"u8) ? ReadFields.MaxCompletionTokens
        : reader.ValueTextEquals("metadata"u8) ? ReadFields.Metadata
        : ReadFields.None;

    private static string NameOf(ReadFields field, string requiredName) => field switch
    {
        ReadFields.Model => "model",
        ReadFields.Stream => "stream",
        ReadFields.StreamOptions => "stream_options",
        ReadFields.Required => requiredName,
        ReadFields.User => "user",
        ReadFields.Tools => "tools",
        ReadFields.Functions => "functions",
        ReadFields.ResponseFormat => "response_format",
        ReadFields.MaxTokens => "max_tokens",
        ReadFields.MaxCompletionTokens => "max_completion_tokens",
        _ => "metadata",
    };
}
