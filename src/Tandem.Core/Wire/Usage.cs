using System.Text.Json;

namespace Tandem.Wire;

/// <summary>Token counts as an OpenAI-compatible upstream reports them.</summary>
public record struct TokenUsage
{
    /// <summary>Prompt (input) tokens, cached ones included.</summary>
    public int PromptTokens { get; set; }

    /// <summary>Prompt tokens served from the provider's prompt cache (<c>prompt_tokens_details.cached_tokens</c>).</summary>
    public int CachedTokens { get; set; }

    /// <summary>Completion (output) tokens, reasoning ones included.</summary>
    public int CompletionTokens { get; set; }

    /// <summary>Reasoning tokens (<c>completion_tokens_details.reasoning_tokens</c>).</summary>
    public int ReasoningTokens { get; set; }

    /// <summary>Reads a <c>usage</c> object; the reader is on its StartObject and ends on its EndObject.</summary>
    internal static TokenUsage Read(ref Utf8JsonReader reader)
    {
        var usage = default(TokenUsage);
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            if (reader.ValueTextEquals("prompt_tokens"u8) || reader.ValueTextEquals("input_tokens"u8))
            {
                usage.PromptTokens = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("completion_tokens"u8) || reader.ValueTextEquals("output_tokens"u8))
            {
                usage.CompletionTokens = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("cached_tokens"u8))
            {
                usage.CachedTokens = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("reasoning_tokens"u8))
            {
                usage.ReasoningTokens = ReadInt(ref reader);
            }
        }

        return usage;
    }

    private static int ReadInt(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v) ? v : 0;
    }
}
