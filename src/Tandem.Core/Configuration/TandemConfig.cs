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

    /// <summary>Where records are kept; absent means a SQLite file <c>tandem.db</c> beside the configuration file.</summary>
    public StorageConfig Storage { get; set; } = new();
}

/// <summary>Where and how request records are kept.</summary>
public sealed record StorageConfig
{
    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = StorageProviders.Sqlite;

    /// <summary>SQLite file, relative to the configuration file's directory (default <c>tandem.db</c>).</summary>
    public string Path { get; set; } = "tandem.db";

    /// <summary>Environment variable holding the PostgreSQL connection string (required for <c>postgres</c>).</summary>
    public string? ConnectionStringEnv { get; set; }

    /// <summary>PostgreSQL schema for Tandem's tables (default <c>public</c>).</summary>
    public string? Schema { get; set; }

    /// <summary>Most records held in memory while waiting to be written (queue and retried batch together).</summary>
    public int QueueCapacity { get; set; } = 50_000;

    /// <summary>Records written per batch.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Days raw records are kept (default 90).</summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>Days daily roll-ups are kept (default 730).</summary>
    public int RollupRetentionDays { get; set; } = 730;

    /// <summary>Store end-user ids (the <c>user</c> field) as keyed hashes rather than as sent.</summary>
    public bool HashEndUsers { get; set; }

    /// <summary>Environment variable holding the secret mixed into end-user hashes (recommended with <see cref="HashEndUsers"/>).</summary>
    public string? EndUserSaltEnv { get; set; }
}

/// <summary>Known storage providers.</summary>
public static class StorageProviders
{
    /// <summary>One SQLite file (WAL mode); the default.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>PostgreSQL, for several gateway instances sharing state.</summary>
    public const string Postgres = "postgres";
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

    /// <summary>What the deployment costs; absent takes the default price table entry for <see cref="Model"/>, if any.</summary>
    public PricingConfig? Pricing { get; set; }

    /// <summary>
    /// <c>reported</c> (default): trust the upstream's usage, estimating only the prompt when it reports none;
    /// <c>estimate</c>: keep the answer text so that prompt and answer are counted when the upstream reports no usage.
    /// </summary>
    public string Usage { get; set; } = UsageModes.Reported;

    /// <summary>Tokenizer for estimates: <c>o200k</c> or <c>cl100k</c>; absent picks by model name (o200k when unknown).</summary>
    public string? Tokenizer { get; set; }
}

/// <summary>Usage accounting modes of a deployment.</summary>
public static class UsageModes
{
    /// <summary>Use the upstream's usage.</summary>
    public const string Reported = "reported";

    /// <summary>Count tokens with a tokenizer when the upstream reports none.</summary>
    public const string Estimate = "estimate";
}

/// <summary>
/// The price of a deployment: per-token prices (an API), or a fixed monthly cost for self-hosted capacity optionally
/// plus a marginal per-token cost. Prices are US dollars.
/// </summary>
public sealed record PricingConfig
{
    /// <summary>Input (prompt) tokens, per million.</summary>
    public decimal? InputPerMtok { get; set; }

    /// <summary>Cached input tokens, per million (default: the input price).</summary>
    public decimal? CachedInputPerMtok { get; set; }

    /// <summary>Output (completion) tokens, per million; reasoning tokens are output tokens.</summary>
    public decimal? OutputPerMtok { get; set; }

    /// <summary>Reasoning tokens, per million, when the provider prices them apart from output (default: the output price).</summary>
    public decimal? ReasoningPerMtok { get; set; }

    /// <summary>Fixed monthly cost of self-hosted capacity (GPUs, infrastructure, operations).</summary>
    public decimal? FixedMonthly { get; set; }

    /// <summary>
    /// The parts of the fixed monthly cost, e.g. <c>{ gpus: 2000, infrastructure: 250, operations: 750 }</c>; without
    /// <see cref="FixedMonthly"/> their sum is the fixed monthly cost, with it they must add up to it.
    /// </summary>
    public IReadOnlyDictionary<string, decimal>? FixedMonthlyBreakdown { get; set; }

    /// <summary>Marginal cost per million tokens (input and output alike) on top of <see cref="FixedMonthly"/>.</summary>
    public decimal? MarginalPerMtok { get; set; }

    /// <summary>Tokens per second (input and output together) the fixed capacity sustains, for utilisation.</summary>
    public double? CapacityTokensPerSecond { get; set; }
}

/// <summary>A name a client sends as <c>model</c>.</summary>
public sealed record RouteConfig
{
    /// <summary>Unique name, distinct from every deployment name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The deployment that serves the route.</summary>
    public string Deployment { get; set; } = "";

    /// <summary>Prompt and answer content kept in records: <c>off</c> (default), <c>redacted</c> or <c>full</c>.</summary>
    public string Capture { get; set; } = CaptureModes.Off;
}

/// <summary>Content capture modes of a route.</summary>
public static class CaptureModes
{
    /// <summary>No content is kept.</summary>
    public const string Off = "off";

    /// <summary>Content is kept with e-mail addresses, phone and card numbers and similar masked.</summary>
    public const string Redacted = "redacted";

    /// <summary>Content is kept as sent and answered.</summary>
    public const string Full = "full";
}
