namespace Tandem.Configuration;

/// <summary>The whole gateway configuration, as read from one YAML or JSON file.</summary>
/// <remarks>
/// Setters rather than <c>init</c>: System.Text.Json source generation treats init-only properties like
/// constructor parameters and would overwrite the defaults below with null when a setting is omitted.
/// Nothing mutates a configuration once loaded; the runtime works from <see cref="Runtime.GatewaySnapshot"/>.
/// </remarks>
public sealed record TandemConfig
{
    /// <summary>Listener and request limits.</summary>
    public ServerConfig Server { get; set; } = new();

    /// <summary>Gateway API keys and the routes each may use.</summary>
    public AuthConfig Auth { get; set; } = new();

    /// <summary>Places that serve models.</summary>
    public IReadOnlyList<ProviderConfig> Providers { get; set; } = [];

    /// <summary>Pinned models on providers.</summary>
    public IReadOnlyList<DeploymentConfig> Deployments { get; set; } = [];

    /// <summary>Names that clients send as <c>model</c>.</summary>
    public IReadOnlyList<RouteConfig> Routes { get; set; } = [];
}

/// <summary>Listener and request limits.</summary>
public sealed record ServerConfig
{
    /// <summary>Largest accepted request body, in bytes (default 4 MiB).</summary>
    public long MaxBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Addresses to listen on when the command line names none.</summary>
    public string? Urls { get; set; }
}

/// <summary>Gateway API keys.</summary>
public sealed record AuthConfig
{
    /// <summary>When true, requests need no key. Only for local demos.</summary>
    public bool Disabled { get; set; }

    /// <summary>The accepted keys.</summary>
    public IReadOnlyList<ApiKeyConfig> Keys { get; set; } = [];

    /// <summary>Key for the admin API (<c>/admin/*</c>); taken from this environment variable.</summary>
    public string? AdminKeyEnv { get; set; }

    /// <summary>SHA-256 (hex) of the admin key, as an alternative to <see cref="AdminKeyEnv"/>.</summary>
    public string? AdminKeySha256 { get; set; }
}

/// <summary>One gateway API key. Exactly one of <see cref="KeySha256"/>, <see cref="KeyEnv"/> or <see cref="Key"/> is set.</summary>
public sealed record ApiKeyConfig
{
    /// <summary>A name for the key, used in records and metrics (never the key itself).</summary>
    public string Name { get; set; } = "";

    /// <summary>Hex SHA-256 of the key: the recommended form, the key never sits in the file.</summary>
    public string? KeySha256 { get; set; }

    /// <summary>Name of an environment variable holding the key.</summary>
    public string? KeyEnv { get; set; }

    /// <summary>The key in clear text (demos only; hashed at load and not kept).</summary>
    public string? Key { get; set; }

    /// <summary>Routes and deployments the key may use; <c>*</c> (the default) means all.</summary>
    public IReadOnlyList<string> Routes { get; set; } = ["*"];
}

/// <summary>A place that serves models.</summary>
public sealed record ProviderConfig
{
    /// <summary>Unique name.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>openai</c> (OpenAI, vLLM, TGI, Ollama, llama.cpp, LM Studio) or <c>azure-openai</c>.</summary>
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
}

/// <summary>Known provider types.</summary>
public static class ProviderTypes
{
    /// <summary>OpenAI-compatible HTTP API (OpenAI, vLLM, TGI, Ollama, llama.cpp server, LM Studio).</summary>
    public const string OpenAI = "openai";

    /// <summary>Azure OpenAI: api-key header, deployment URL, api-version.</summary>
    public const string AzureOpenAI = "azure-openai";
}

/// <summary>One pinned model on one provider.</summary>
public sealed record DeploymentConfig
{
    /// <summary>Unique name, e.g. <c>gpt-4o-mini</c> or <c>llama-3.1-8b@vllm</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The provider that serves it.</summary>
    public string Provider { get; set; } = "";

    /// <summary>Model id sent upstream (Azure: the Azure deployment name).</summary>
    public string Model { get; set; } = "";

    /// <summary>Pinned model version or snapshot, recorded with every request (e.g. <c>2024-07-18</c>).</summary>
    public string? Version { get; set; }

    /// <summary>A short human label, e.g. "self-hosted (simulated)".</summary>
    public string? Description { get; set; }

    /// <summary>Token prices; when absent, reports show tokens only, never a guessed cost.</summary>
    public PriceConfig? Price { get; set; }
}

/// <summary>What a deployment costs per million tokens, in the currency the team reports in (usually USD).</summary>
public sealed record PriceConfig
{
    /// <summary>Price of one million prompt (input) tokens.</summary>
    public decimal InputPerMillion { get; set; }

    /// <summary>Price of one million completion (output) tokens.</summary>
    public decimal OutputPerMillion { get; set; }
}

/// <summary>A name a client sends as <c>model</c>.</summary>
public sealed record RouteConfig
{
    /// <summary>Unique name, distinct from every deployment name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The deployment that serves the route.</summary>
    public string Deployment { get; set; } = "";

    /// <summary>Opt-in: judge the served answer and, when it scores low, answer from a stronger deployment.</summary>
    public EscalationConfig? Escalation { get; set; }
}

/// <summary>
/// Synchronous escalation for a route: a judge deployment scores the cheap deployment's answer (1–5) and, when the
/// score is below <see cref="Below"/>, the stronger deployment <see cref="To"/> answers instead.
/// </summary>
public sealed record EscalationConfig
{
    /// <summary>The deployment that judges the served answer.</summary>
    public string Judge { get; set; } = "";

    /// <summary>The stronger deployment that answers when the score is low.</summary>
    public string To { get; set; } = "";

    /// <summary>Escalate when the judge's score is below this value (1–5, default 3).</summary>
    public double Below { get; set; } = 3;

    /// <summary>Rubric given to the judge; null uses Tandem's general helpfulness rubric.</summary>
    public string? Rubric { get; set; }

    /// <summary>
    /// What to do when the judge fails or its verdict cannot be parsed: <c>keep</c> (default) serves the cheap
    /// answer, <c>escalate</c> asks the stronger deployment. A verdict is never guessed.
    /// </summary>
    public string OnJudgeFailure { get; set; } = EscalationFailureModes.Keep;
}

/// <summary>Values of <see cref="EscalationConfig.OnJudgeFailure"/>.</summary>
public static class EscalationFailureModes
{
    /// <summary>Serve the cheap answer.</summary>
    public const string Keep = "keep";

    /// <summary>Ask the stronger deployment.</summary>
    public const string Escalate = "escalate";
}
