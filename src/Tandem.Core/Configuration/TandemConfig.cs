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

    /// <summary>Traces and metrics export (OpenTelemetry).</summary>
    public TelemetryConfig Telemetry { get; set; } = new();

    /// <summary>Budgets and rate limits per key, team and route.</summary>
    public LimitsConfig Limits { get; set; } = new();
}

/// <summary>Listener and request limits.</summary>
public sealed record ServerConfig
{
    /// <summary>Largest accepted request body, in bytes (default 4 MiB).</summary>
    public long MaxBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Addresses to listen on when the command line names none.</summary>
    public string? Urls { get; set; }

    /// <summary>
    /// How long a stop (SIGTERM, Ctrl+C) may take: in-flight requests finish, then queued records are written; what
    /// is still unwritten then is counted as dropped and logged (default <c>30s</c>).
    /// </summary>
    public string ShutdownTimeout { get; set; } = "30s";

    /// <summary>
    /// Seed of the random source behind sampled decisions (shadow and judge sampling, canary buckets of requests
    /// without a user, split arms without a sticky key, replica choice), for reproducible runs; null: unseeded.
    /// Read at start-up.
    /// </summary>
    public ulong? RandomSeed { get; set; }
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

    /// <summary>The team the key belongs to (team budgets and limits); null: none.</summary>
    public string? Team { get; set; }
}
