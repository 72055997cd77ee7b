using System.Text.Json;

namespace Tandem.Providers.Translation;

/// <summary>
/// An OpenAI chat completion request as <see cref="ChatRequestReader"/> read it for one protocol: every field checked,
/// every untranslatable one already refused, in a neutral shape every translating adapter writes its body from.
/// </summary>
/// <remarks>
/// Immutable. Text, schemas and other values stay <see cref="JsonElement"/>s of the parsed body, so that a writer
/// copies them into its own body (<see cref="JsonElement.WriteTo"/>) without making strings of them: the request owns
/// that document (and the parsed arguments of tool calls) and must be disposed once the body is written.
/// </remarks>
internal sealed class ChatRequest : IDisposable
{
    private readonly JsonDocument _document;
    private readonly ChatMessage[] _messages;
    private readonly ToolCall[] _toolCalls;
    private readonly ChatTool[] _tools;

    internal ChatRequest(JsonDocument document, ChatMessage[] messages, ToolCall[] toolCalls, ChatTool[] tools)
    {
        _document = document;
        _messages = messages;
        _toolCalls = toolCalls;
        _tools = tools;
    }

    /// <summary>The conversation, in order (system and developer messages where they stand).</summary>
    public ReadOnlySpan<ChatMessage> Messages => _messages;

    /// <summary>The function tools (empty when there are none, or <c>tools</c> was an empty array).</summary>
    public ReadOnlySpan<ChatTool> Tools => _tools;

    /// <summary>Whether the conversation holds tool calls or tool results.</summary>
    public bool HasToolHistory => _toolCalls.Length > 0 || Array.Exists(_messages, static m => m.Role == ChatRole.Tool);

    public ToolChoice ToolChoice { get; init; }

    /// <summary>False when the client asked for at most one tool call per turn (<c>parallel_tool_calls: false</c>).</summary>
    public bool ParallelToolCalls { get; init; } = true;

    public ResponseFormat ResponseFormat { get; init; }

    public StopSequences Stop { get; init; }

    /// <summary><c>max_completion_tokens</c>, or the older <c>max_tokens</c>: a positive integer.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Between 0 and the protocol's <see cref="TranslationCapabilities.MaxTemperature"/>.</summary>
    public OptionalNumber Temperature { get; init; }

    /// <summary>Between 0 and 1.</summary>
    public OptionalNumber TopP { get; init; }

    /// <summary>A positive integer (only where the protocol takes it).</summary>
    public OptionalNumber TopK { get; init; }

    /// <summary>Between -2 and 2; non-zero only where the protocol takes it.</summary>
    public OptionalNumber PresencePenalty { get; init; }

    /// <summary>Between -2 and 2; non-zero only where the protocol takes it.</summary>
    public OptionalNumber FrequencyPenalty { get; init; }

    /// <summary>An integer.</summary>
    public OptionalNumber Seed { get; init; }

    /// <summary>The <c>user</c> (a JSON string); undefined when not set.</summary>
    public JsonElement User { get; init; }

    /// <summary>The <c>metadata</c> object (Tandem's tags, which ask nothing of the model); undefined when not set.</summary>
    public JsonElement Metadata { get; init; }

    /// <summary>The <c>stream</c> flag as sent; null when not set.</summary>
    public bool? Stream { get; init; }

    public void Dispose()
    {
        foreach (var call in _toolCalls)
        {
            call.ArgumentsDocument?.Dispose();
        }

        _document.Dispose();
    }
}
