using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Tandem.Configuration;
using Tandem.Wire;

namespace Tandem.Costs;

/// <summary>
/// Counts tokens with the OpenAI BPE vocabularies (o200k for the GPT-4o/4.1/5 and o-series families, cl100k for
/// GPT-4/3.5 and embeddings), for upstreams that report no usage. Other models get o200k unless the deployment
/// names a tokenizer: an estimate, marked as such on the record.
/// </summary>
public static class TokenCounter
{
    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));
    private static readonly Lazy<Tokenizer> Cl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));

    /// <summary>Picks the tokenizer for a deployment: its <c>tokenizer</c> setting, else by model name.</summary>
    public static Tokenizer For(DeploymentConfig deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        return For(deployment.Tokenizer, deployment.Model);
    }

    /// <summary>Picks a tokenizer by name (<c>o200k</c>/<c>cl100k</c>) or, when null, by model id.</summary>
    public static Tokenizer For(string? tokenizer, string? model)
    {
        switch (tokenizer)
        {
            case "o200k":
                return O200k.Value;
            case "cl100k":
                return Cl100k.Value;
        }

        var id = model ?? "";
        var slash = id.LastIndexOf('/');
        id = slash >= 0 ? id[(slash + 1)..] : id;
        if (id.StartsWith("gpt-4o", StringComparison.OrdinalIgnoreCase) || id.StartsWith("gpt-4.", StringComparison.OrdinalIgnoreCase)
            || id.StartsWith("gpt-5", StringComparison.OrdinalIgnoreCase) || id.StartsWith("o1", StringComparison.OrdinalIgnoreCase)
            || id.StartsWith("o3", StringComparison.OrdinalIgnoreCase) || id.StartsWith("o4", StringComparison.OrdinalIgnoreCase))
        {
            return O200k.Value;
        }

        if (id.StartsWith("gpt-4", StringComparison.OrdinalIgnoreCase) || id.StartsWith("gpt-3.5", StringComparison.OrdinalIgnoreCase)
            || id.StartsWith("text-embedding", StringComparison.OrdinalIgnoreCase))
        {
            return Cl100k.Value;
        }

        return O200k.Value;
    }

    /// <summary>Tokens of a plain text.</summary>
    public static int CountText(Tokenizer tokenizer, string? text)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return string.IsNullOrEmpty(text) ? 0 : tokenizer.CountTokens(text);
    }

    /// <summary>
    /// Tokens of a chat <c>messages</c> array as OpenAI bills them: per message 3 framing tokens plus its role, name
    /// and text; 3 more prime the reply. For <c>prompt</c>/<c>input</c> values, the tokens of every string in them.
    /// </summary>
    public static int CountPrompt(Tokenizer tokenizer, ReadOnlySpan<byte> promptJson, bool chat)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (promptJson.IsEmpty)
        {
            return 0;
        }

        var reader = new Utf8JsonReader(promptJson);
        var total = 0;
        try
        {
            if (!reader.Read())
            {
                return 0;
            }

            if (!chat || reader.TokenType != JsonTokenType.StartArray)
            {
                return CountStrings(tokenizer, ref reader);
            }

            var messages = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                messages++;
                total += 3;
                var depth = reader.CurrentDepth;
                while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
                {
                    if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != depth + 1)
                    {
                        continue;
                    }

                    if (reader.ValueTextEquals("role"u8) || reader.ValueTextEquals("content"u8))
                    {
                        reader.Read();
                        total += CountStrings(tokenizer, ref reader, textOnly: true);
                    }
                    else if (reader.ValueTextEquals("name"u8))
                    {
                        reader.Read();
                        total += 1 + CountStrings(tokenizer, ref reader);
                    }
                    else if (reader.ValueTextEquals("tool_calls"u8))
                    {
                        reader.Read();
                        total += CountStrings(tokenizer, ref reader);
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }

            return messages > 0 ? total + 3 : total;
        }
        catch (JsonException)
        {
            return total;
        }
    }

    private static int CountStrings(Tokenizer tokenizer, ref Utf8JsonReader reader, bool textOnly = false)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return tokenizer.CountTokens(JsonStrings.GetTolerant(ref reader));
        }

        if (reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.StartObject))
        {
            return 0;
        }

        // Content parts: count "text" values (and, outside content, every string), never image data.
        var total = 0;
        var depth = reader.CurrentDepth;
        var sb = new StringBuilder();
        var takeNext = !textOnly;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                takeNext = !textOnly || reader.ValueTextEquals("text"u8);
            }
            else if (reader.TokenType == JsonTokenType.String && takeNext)
            {
                sb.Append(JsonStrings.GetTolerant(ref reader));
                sb.Append(' ');
            }
        }

        if (sb.Length > 0)
        {
            total += tokenizer.CountTokens(sb.ToString(0, sb.Length - 1));
        }

        return total;
    }
}
