namespace Tandem.Configuration;

/// <summary>
/// Settings of a provider of type <c>anthropic</c> (YAML <c>providers[i].anthropic</c>), which speaks Anthropic's
/// Messages API (<c>POST {base_url}/messages</c>, <c>x-api-key</c> and <c>anthropic-version</c> headers).
/// </summary>
public sealed record AnthropicConfig
{
    /// <summary>The <c>anthropic-version</c> header (default <c>2023-06-01</c>, the current version of the API).</summary>
    public string Version { get; set; } = "2023-06-01";

    /// <summary>Beta features to enable, sent as one <c>anthropic-beta</c> header (comma-separated).</summary>
    public IReadOnlyList<string> Beta { get; set; } = [];

    /// <summary>
    /// <c>max_tokens</c> sent when the client sets neither <c>max_tokens</c> nor <c>max_completion_tokens</c> and the
    /// deployment sets no default of its own: Anthropic requires it, OpenAI does not (default 4096).
    /// </summary>
    public int DefaultMaxTokens { get; set; } = 4096;

    /// <summary>
    /// How a <c>response_format</c> of type <c>json_schema</c> is sent: <c>native</c> (default) as Anthropic's
    /// structured output (<c>output_config.format</c>), or <c>tool</c> as one forced tool whose input is the answer,
    /// for models without structured outputs. <c>json_object</c> always uses the forced tool (it has no schema).
    /// </summary>
    public string JsonSchema { get; set; } = AnthropicJsonSchemaModes.Native;
}

/// <summary>Values of <see cref="AnthropicConfig.JsonSchema"/>.</summary>
public static class AnthropicJsonSchemaModes
{
    /// <summary>Anthropic's structured outputs (<c>output_config.format</c>).</summary>
    public const string Native = "native";

    /// <summary>A forced tool whose input schema is the requested schema.</summary>
    public const string Tool = "tool";
}

/// <summary>Per-deployment settings of a deployment on an <c>anthropic</c> provider (YAML <c>deployments[i].anthropic</c>).</summary>
public sealed record AnthropicDeploymentConfig
{
    /// <summary><c>max_tokens</c> sent when the client sets none; absent: the provider's <see cref="AnthropicConfig.DefaultMaxTokens"/>.</summary>
    public int? DefaultMaxTokens { get; set; }
}
