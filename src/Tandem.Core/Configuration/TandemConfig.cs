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

    /// <summary>Protection of captured content (encryption at rest).</summary>
    public PrivacyConfig Privacy { get; set; } = new();
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

    /// <summary>
    /// Run socket completions and request processing on the I/O threads instead of handing each to the thread pool
    /// (Kestrel's <c>UnsafePreferInlineScheduling</c> and .NET's inline socket completions, also switched on by
    /// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>): one thread hop less per read on both sides of the hop.
    /// Tandem's request path never blocks a thread, so this is safe for it. Read at start-up.
    /// </summary>
    public bool InlineIo { get; set; }

    /// <summary>
    /// A second port serving only <c>/admin</c> (and the probes and <c>/metrics</c>); when set, the main listeners do
    /// not serve <c>/admin</c>. Bound on the same addresses as the main listeners. 0 picks a free port (tests).
    /// Read at start-up.
    /// </summary>
    public int? AdminPort { get; set; }

    /// <summary>Largest accepted request head (all headers), in bytes (default 32 KiB); larger heads get a 431.</summary>
    public long MaxHeaderBytes { get; set; } = 32 * 1024;

    /// <summary>HTTPS certificate for <c>https://</c> listen addresses. Read at start-up; the files are watched.</summary>
    public TlsConfig? Tls { get; set; }

    /// <summary>Browser origins allowed to call the API; none by default. Read at start-up.</summary>
    public CorsConfig Cors { get; set; } = new();

    /// <summary>
    /// How often an instance polls the shared database for changes made by other instances (virtual keys created or
    /// revoked, migration stage changes, configuration reloads through the admin API): the bound on how long another
    /// instance may lag (default <c>2s</c>; from 100ms to 1m). Read at start-up.
    /// </summary>
    public string SyncInterval { get; set; } = "2s";
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

    /// <summary>The team the key's usage counts under (budgets and limits per team); null: none.</summary>
    public string? Team { get; set; }
}
