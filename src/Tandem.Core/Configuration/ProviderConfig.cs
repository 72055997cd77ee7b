namespace Tandem.Configuration;

/// <summary>A place that serves models.</summary>
public sealed record ProviderConfig
{
    /// <summary>Unique name.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>openai</c> (OpenAI, vLLM, TGI, Ollama, llama.cpp, LM Studio), <c>azure-openai</c>, <c>anthropic</c>, <c>gemini</c>, <c>sagemaker</c> or <c>bedrock</c>.</summary>
    public string Type { get; set; } = ProviderTypes.OpenAI;

    /// <summary>Base URL, e.g. <c>https://api.openai.com/v1</c> or <c>http://gpu-1:8000/v1</c>; for Azure the resource URL.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>Environment variable holding the upstream credential (never the credential itself).</summary>
    public string? ApiKeyEnv { get; set; }

    /// <summary>Azure OpenAI <c>api-version</c> query value.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>Headers added to every upstream request.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; set; } = new Dictionary<string, string>();

    /// <summary>Upstream timeouts.</summary>
    public TimeoutsConfig Timeouts { get; set; } = new();

    /// <summary>Most requests in flight to this provider at once (default 256).</summary>
    public int MaxConcurrency { get; set; } = 256;

    /// <summary>Requests that may wait for a free slot beyond <see cref="MaxConcurrency"/> (default 1024).</summary>
    public int MaxQueue { get; set; } = 1024;

    /// <summary>Replicas: several base URLs serving the same models; <see cref="BaseUrl"/> may then be omitted.</summary>
    public IReadOnlyList<string> Endpoints { get; set; } = [];

    /// <summary>How replicas are chosen: <c>least_outstanding</c> (default) or <c>p2c</c> (power of two choices).</summary>
    public string Balance { get; set; } = "least_outstanding";

    /// <summary>Optional active health checks of each replica.</summary>
    public HealthCheckConfig? HealthCheck { get; set; }

    /// <summary>Settings of an <c>anthropic</c> provider (API version, beta features, default <c>max_tokens</c>).</summary>
    public AnthropicConfig? Anthropic { get; set; }

    /// <summary>Settings of a <c>gemini</c> provider (Vertex AI instead of the Gemini API).</summary>
    public GeminiConfig? Gemini { get; set; }

    /// <summary>AWS region and credentials of a <c>sagemaker</c> or <c>bedrock</c> provider.</summary>
    public AwsConfig? Aws { get; set; }
}

/// <summary>Active health checks: GET a path on each replica at an interval; failing replicas are skipped.</summary>
public sealed record HealthCheckConfig
{
    /// <summary>Path relative to the base URL, e.g. <c>models</c> (→ <c>/v1/models</c>).</summary>
    public string Path { get; set; } = "models";

    /// <summary>Time between checks.</summary>
    public string Interval { get; set; } = "10s";

    /// <summary>Time allowed for one check.</summary>
    public string Timeout { get; set; } = "2s";
}

/// <summary>Upstream timeouts, as durations like <c>500ms</c>, <c>5s</c>, <c>2m</c>.</summary>
public sealed record TimeoutsConfig
{
    /// <summary>TCP/TLS connect.</summary>
    public string Connect { get; set; } = "5s";

    /// <summary>Until the upstream's response headers arrive.</summary>
    public string FirstByte { get; set; } = "60s";

    /// <summary>The whole upstream exchange, body included.</summary>
    public string Total { get; set; } = "600s";

    /// <summary>Longest silence between two chunks of a stream.</summary>
    public string Idle { get; set; } = "60s";
}

/// <summary>Known provider types.</summary>
public static class ProviderTypes
{
    /// <summary>OpenAI-compatible HTTP API (OpenAI, vLLM, TGI, Ollama, llama.cpp server, LM Studio).</summary>
    public const string OpenAI = "openai";

    /// <summary>Azure OpenAI: api-key header, deployment URL, api-version.</summary>
    public const string AzureOpenAI = "azure-openai";

    /// <summary>Anthropic's Messages API, translated to and from OpenAI's protocol.</summary>
    public const string Anthropic = "anthropic";

    /// <summary>Google's Gemini API or Vertex AI (<c>generateContent</c>), translated to and from OpenAI's protocol.</summary>
    public const string Gemini = "gemini";

    /// <summary>Amazon SageMaker runtime endpoints (InvokeEndpoint, InvokeEndpointWithResponseStream), signed with SigV4.</summary>
    public const string SageMaker = "sagemaker";

    /// <summary>Amazon Bedrock Converse / ConverseStream, signed with SigV4.</summary>
    public const string Bedrock = "bedrock";

    /// <summary>The types every gateway speaks.</summary>
    public static IReadOnlyCollection<string> BuiltIn { get; } = [OpenAI, AzureOpenAI, Anthropic, Gemini, SageMaker, Bedrock];
}
