using System.Text;
using System.Text.Json;

namespace Tandem.Wire;

/// <summary>
/// What Tandem learns from an upstream answer (a whole response or the chunks of a stream): reported model,
/// system fingerprint, usage, finish reason. Filled in place; one instance per request.
/// </summary>
public sealed class ResponseFacts
{
    /// <summary>The model the upstream says answered.</summary>
    public string? Model { get; set; }

    /// <summary>The upstream's <c>system_fingerprint</c>.</summary>
    public string? SystemFingerprint { get; set; }

    /// <summary>Usage, when the upstream reported it.</summary>
    public TokenUsage? Usage { get; set; }

    /// <summary>The first choice's finish reason.</summary>
    public string? FinishReason { get; set; }

    /// <summary>Whether the answer (or a stream event) was an error object.</summary>
    public bool IsError { get; set; }

    /// <summary>Number of stream data events seen (the <c>[DONE]</c> sentinel excluded).</summary>
    public int Chunks { get; set; }

    /// <summary>Whether the stream ended with <c>data: [DONE]</c>.</summary>
    public bool SawDone { get; set; }

    /// <summary>
    /// Concatenated text of the first choice (message content, or stream deltas), kept only when capture asks for it.
    /// </summary>
    public StringBuilder? Content { get; set; }

    /// <summary>
    /// Asked once, when the first answer object is read, whether to keep the answer text in <see cref="Content"/>.
    /// Lets the request path decide after route resolution without allocating for requests that need no text.
    /// </summary>
    public Func<bool>? ContentWanted { get; set; }

    /// <summary>Forgets what was read, for another response (the in-process client reuses the facts of ended calls).</summary>
    public void Reset()
    {
        Model = null;
        SystemFingerprint = null;
        Usage = null;
        FinishReason = null;
        IsError = false;
        Chunks = 0;
        SawDone = false;
        Content = null;
        ContentWanted = null;
    }

    /// <summary>
    /// Reads a JSON object (a full response or one stream chunk). Returns whether it is a usage-only chunk
    /// (<c>choices</c> empty, <c>usage</c> present): the one Tandem drops when the client did not ask for usage.
    /// </summary>
    public bool Read(ReadOnlySpan<byte> json)
    {
        if (ContentWanted is { } wanted)
        {
            ContentWanted = null;
            if (Content is null && wanted())
            {
                Content = new StringBuilder();
            }
        }

        var reader = new Utf8JsonReader(json);
        var choices = -1;
        var hadUsage = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (Model is null && reader.TokenType == JsonTokenType.String)
                    {
                        Model = reader.GetString();
                    }
                }
                else if (reader.ValueTextEquals("system_fingerprint"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        SystemFingerprint ??= reader.GetString();
                    }
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        Usage = TokenUsage.Read(ref reader);
                        hadUsage = true;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    choices = ReadChoices(ref reader);
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    IsError |= reader.TokenType == JsonTokenType.StartObject;
                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return hadUsage && choices == 0;
    }

    private int ReadChoices(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return -1;
        }

        var count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            var first = count == 0;
            count++;
            var depth = reader.CurrentDepth;
            while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != depth + 1)
                {
                    continue;
                }

                if (first && reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        FinishReason = reader.GetString();
                    }
                }
                else if (first && Content is not null && (reader.ValueTextEquals("message"u8) || reader.ValueTextEquals("delta"u8)))
                {
                    reader.Read();
                    ReadContent(ref reader);
                }
                else if (first && Content is not null && reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        Content.Append(reader.GetString());
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }

        return count;
    }

    private void ReadContent(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    Content!.Append(reader.GetString());
                }
            }
            else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }
    }
}
