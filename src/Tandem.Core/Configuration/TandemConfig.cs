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

/// <summary>Where and how request records and migration state are kept.</summary>
public sealed record StorageConfig
{
    private string? _engine;

    /// <summary>
    /// The database engine: <c>sqlite</c> (default) or <c>postgres</c> (YAML <c>storage.engine</c>). Reads the old
    /// key <c>storage.provider</c> when <c>engine</c> is not set, so that existing files load.
    /// </summary>
    public string Engine
    {
        get => _engine ?? EngineAlias ?? StorageEngines.Sqlite;
        set => _engine = value;
    }

    /// <summary>
    /// <c>storage.provider</c>, the former name of <see cref="Engine"/> (a "provider" is a model host everywhere else),
    /// still accepted. Null when the file does not use it.
    /// </summary>
    [System.Text.Json.Serialization.JsonPropertyName("provider")]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? EngineAlias { get; set; }

    /// <summary>Whether the file sets <c>storage.engine</c> itself (validation rejects it together with a different alias).</summary>
    internal bool EngineSet => _engine is not null;

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

    /// <summary>Days raw records, shadow samples and gate evaluations are kept (default 90).</summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>Days daily roll-ups are kept (default 730).</summary>
    public int RollupRetentionDays { get; set; } = 730;

    /// <summary>Store end-user ids (the <c>user</c> field) as keyed hashes rather than as sent.</summary>
    public bool HashEndUsers { get; set; }

    /// <summary>Environment variable holding the secret mixed into end-user hashes (recommended with <see cref="HashEndUsers"/>).</summary>
    public string? EndUserSaltEnv { get; set; }
}

/// <summary>Known storage engines.</summary>
public static class StorageEngines
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

    /// <summary>
    /// How long a stop (SIGTERM, Ctrl+C) may take: in-flight requests finish, then queued records are written; what
    /// is still unwritten then is counted as dropped and logged (default <c>30s</c>).
    /// </summary>
    public string ShutdownTimeout { get; set; } = "30s";
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

    /// <summary>Replicas: several base URLs serving the same models; <see cref="BaseUrl"/> may then be omitted.</summary>
    public IReadOnlyList<string> Endpoints { get; set; } = [];

    /// <summary>How replicas are chosen: <c>least_outstanding</c> (default) or <c>p2c</c> (power of two choices).</summary>
    public string Balance { get; set; } = "least_outstanding";

    /// <summary>Optional active health checks of each replica.</summary>
    public HealthCheckConfig? HealthCheck { get; set; }

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

    /// <summary>Amazon SageMaker runtime endpoints (InvokeEndpoint, InvokeEndpointWithResponseStream), signed with SigV4.</summary>
    public const string SageMaker = "sagemaker";

    /// <summary>Amazon Bedrock Converse / ConverseStream, signed with SigV4.</summary>
    public const string Bedrock = "bedrock";

    /// <summary>The types every gateway speaks.</summary>
    public static IReadOnlyCollection<string> BuiltIn { get; } = [OpenAI, AzureOpenAI, SageMaker, Bedrock];
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

    /// <summary>Context window in tokens; requests estimated larger go to a deployment with room.</summary>
    public int? ContextWindow { get; set; }

    /// <summary>Retries and circuit breaker for this deployment.</summary>
    public ResilienceConfig Resilience { get; set; } = new();

    /// <summary>When the provider retires the model (overrides the shipped retirement table), e.g. <c>2027-01-14</c>.</summary>
    public string? Retires { get; set; }

    /// <summary>What the deployment costs; absent takes the default price table entry for <see cref="Model"/>, if any.</summary>
    public PricingConfig? Pricing { get; set; }

    /// <summary>
    /// <c>reported</c> (default): trust the upstream's usage, estimating only the prompt when it reports none;
    /// <c>estimate</c>: keep the answer text so that prompt and answer are counted when the upstream reports no usage.
    /// </summary>
    public string Usage { get; set; } = UsageModes.Reported;

    /// <summary>Tokenizer for estimates: <c>o200k</c> or <c>cl100k</c>; absent picks by model name (o200k when unknown).</summary>
    public string? Tokenizer { get; set; }

    /// <summary>How a deployment on a <c>sagemaker</c> provider calls its endpoint (payload shape, variant, component).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("sagemaker")]
    public SageMakerDeploymentConfig? SageMaker { get; set; }
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

/// <summary>Retries and circuit breaking of one deployment.</summary>
public sealed record ResilienceConfig
{
    /// <summary>Extra tries on the same deployment for a transient failure (connect, 5xx, short 429) before falling back.</summary>
    public int Retries { get; set; } = 1;

    /// <summary>Base delay of the jittered exponential backoff.</summary>
    public string RetryBackoff { get; set; } = "100ms";

    /// <summary>A 429's Retry-After is honoured up to this; longer ones fall back at once.</summary>
    public string MaxRetryAfter { get; set; } = "2s";

    /// <summary>Circuit breaker.</summary>
    public BreakerConfig Breaker { get; set; } = new();
}

/// <summary>Circuit breaker of one deployment: opens when the failure ratio over a window exceeds a bound.</summary>
public sealed record BreakerConfig
{
    /// <summary>Whether the breaker is on.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Failure ratio (0–1] that opens it.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Fewest calls in the window before it may open.</summary>
    public int MinThroughput { get; set; } = 10;

    /// <summary>The sampling window.</summary>
    public string Window { get; set; } = "30s";

    /// <summary>How long it stays open before a half-open probe.</summary>
    public string BreakFor { get; set; } = "15s";
}

/// <summary>A name a client sends as <c>model</c>, and the policy that picks its deployments.</summary>
/// <remarks>
/// Applied in order: <see cref="Rules"/> (first match decides), then <see cref="Split"/> or <see cref="Tiers"/> or the
/// single <see cref="Deployment"/>, then <see cref="Fallbacks"/> when the chosen deployment fails before the first byte.
/// </remarks>
public sealed record RouteConfig
{
    /// <summary>Unique name, distinct from every deployment name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The deployment that serves the route (single-deployment policy).</summary>
    public string? Deployment { get; set; }

    /// <summary>Prompt and answer content kept in records: <c>off</c> (default), <c>redacted</c> or <c>full</c>.</summary>
    public string Capture { get; set; } = CaptureModes.Off;

    /// <summary>
    /// Custom kinds of personal data for this route: name → regular expression. The route's rules may list them
    /// under <c>pii</c>, and <c>capture: redacted</c> masks their matches as <c>[name]</c>, like the built-in kinds
    /// (see <see cref="Privacy.PersonalDataDetector"/>). Patterns a rule declares under <c>when.patterns</c> join
    /// the same set.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Patterns { get; set; }

    /// <summary>Weighted split between deployments, e.g. 90/10.</summary>
    public IReadOnlyList<SplitArmConfig>? Split { get; set; }

    /// <summary>
    /// What keeps one user on one split arm: <c>user</c> (the OpenAI <c>user</c> field, the default),
    /// <c>header:NAME</c> or <c>metadata:FIELD</c>. Without it each request draws its arm at random.
    /// </summary>
    public string Sticky { get; set; } = "user";

    /// <summary>Complexity tiers: score ranges of a scorer mapped to deployments.</summary>
    public TiersConfig? Tiers { get; set; }

    /// <summary>Rules on request properties, evaluated in order; the first that matches decides.</summary>
    public IReadOnlyList<RuleConfig> Rules { get; set; } = [];

    /// <summary>Deployments tried in order when the chosen one fails before its first byte.</summary>
    public IReadOnlyList<string> Fallbacks { get; set; } = [];

    /// <summary>A migration of this route from its incumbent to a candidate deployment.</summary>
    public MigrationConfig? Migration { get; set; }

    /// <summary>Opt-in: judge the served answer and, when it scores low, answer from a stronger deployment.</summary>
    public EscalationConfig? Escalation { get; set; }
}

/// <summary>Moving a route from its incumbent to a candidate: shadow → canary → cutover → full, gated by evidence.</summary>
public sealed record MigrationConfig
{
    /// <summary>The candidate deployment.</summary>
    public string To { get; set; } = "";

    /// <summary>The stage a new migration starts in (state stored by Tandem wins once it exists).</summary>
    public string Stage { get; set; } = "shadow";

    /// <summary>Advance when every gate passes, roll back when one fails during canary or cutover.</summary>
    public bool Auto { get; set; }

    /// <summary>Share of requests shadowed (the other deployment called beside the served one).</summary>
    public double ShadowRate { get; set; } = 1.0;

    /// <summary>Shadow calls in flight at once; more wait in the queue.</summary>
    public int ShadowConcurrency { get; set; } = 4;

    /// <summary>Shadow calls that may wait; beyond it they are dropped and counted.</summary>
    public int ShadowQueue { get; set; } = 1000;

    /// <summary>Canary traffic shares in percent, in order.</summary>
    public IReadOnlyList<double> CanarySteps { get; set; } = [5, 25, 50];

    /// <summary>How answers are compared.</summary>
    public CompareConfig Compare { get; set; } = new();

    /// <summary>Gates every stage must pass to advance.</summary>
    public GatesConfig Gates { get; set; } = new();

    /// <summary>How often gates are evaluated.</summary>
    public string EvaluateEvery { get; set; } = "30s";

    /// <summary>A deployment that scores the candidate's answers (1–5) for the <c>min_judge_score</c> gate.</summary>
    public string? Judge { get; set; }

    /// <summary>Share of compared samples the judge scores (judge calls cost tokens).</summary>
    public double JudgeRate { get; set; } = 1.0;
}

/// <summary>Answer comparison for a route type.</summary>
public sealed record CompareConfig
{
    /// <summary><c>classification</c>, <c>structured</c> or <c>text</c>.</summary>
    public string Kind { get; set; } = "classification";

    /// <summary>
    /// For classification, how a label is read from an answer: <c>normalized</c> (trimmed, lower-cased first line
    /// without punctuation), <c>json:FIELD</c>, or <c>regex:PATTERN</c> (first group, else the whole match).
    /// </summary>
    public string Label { get; set; } = "normalized";

    /// <summary>For structured output, the fields compared (all top-level fields when empty).</summary>
    public IReadOnlyList<string> Fields { get; set; } = [];

    /// <summary>For free text, the lexical similarity (0–1) from which two answers count as agreeing.</summary>
    public double MinSimilarity { get; set; } = 0.5;
}

/// <summary>Evidence a stage needs before it advances; any failing gate during canary or cutover rolls back under <c>auto</c>.</summary>
public sealed record GatesConfig
{
    /// <summary>Fewest compared samples in the stage.</summary>
    public int MinSamples { get; set; } = 200;

    /// <summary>Shortest time in the stage.</summary>
    public string MinDuration { get; set; } = "1h";

    /// <summary>Lowest agreement rate (0–1), judged on the lower bound of its 95 % interval when <see cref="UseLowerBound"/>.</summary>
    public double? MinAgreement { get; set; } = 0.9;

    /// <summary>Judge the agreement on the Wilson lower bound rather than the point estimate.</summary>
    public bool UseLowerBound { get; set; }

    /// <summary>Highest candidate error rate (0–1).</summary>
    public double? MaxErrorRate { get; set; } = 0.02;

    /// <summary>Highest candidate p95 latency in milliseconds.</summary>
    public double? MaxP95Ms { get; set; }

    /// <summary>Highest candidate p95 latency as a multiple of the incumbent's.</summary>
    public double? MaxP95Ratio { get; set; }

    /// <summary>Highest candidate cost per request in US dollars.</summary>
    public double? MaxCostPerRequest { get; set; }

    /// <summary>Lowest mean judge score (1–5), when a judge scores samples.</summary>
    public double? MinJudgeScore { get; set; }
}

/// <summary>One arm of a weighted split.</summary>
public sealed record SplitArmConfig
{
    /// <summary>The deployment.</summary>
    public string Deployment { get; set; } = "";

    /// <summary>Relative weight (e.g. 90 and 10).</summary>
    public double Weight { get; set; }
}

/// <summary>Complexity tiers.</summary>
public sealed record TiersConfig
{
    /// <summary>The scorer: <c>features</c> (built in, documented in the README).</summary>
    public string Scorer { get; set; } = "features";

    /// <summary>Levels, each taken when the score is at least its <c>min</c>; checked from the highest min down.</summary>
    public IReadOnlyList<TierConfig> Levels { get; set; } = [];
}

/// <summary>One complexity tier.</summary>
public sealed record TierConfig
{
    /// <summary>Lowest score (0–1) of the tier.</summary>
    public double Min { get; set; }

    /// <summary>The deployment serving it.</summary>
    public string Deployment { get; set; } = "";

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

/// <summary>A routing rule.</summary>
public sealed record RuleConfig
{
    /// <summary>Name shown in the decision, e.g. <c>pii</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The conditions, all of which must hold.</summary>
    public MatchConfig When { get; set; } = new();

    /// <summary>Serve matching requests with this deployment.</summary>
    public string? Deployment { get; set; }

    /// <summary>
    /// Matching requests may only reach these deployments, fallbacks included (e.g. personal data stays on-prem).
    /// </summary>
    public IReadOnlyList<string>? Only { get; set; }
}

/// <summary>Conditions of a rule; an omitted condition always holds.</summary>
public sealed record MatchConfig
{
    /// <summary>Gateway key names.</summary>
    public IReadOnlyList<string>? Keys { get; set; }

    /// <summary>Request headers and the values they must have (<c>*</c>: present).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; set; }

    /// <summary>Request <c>metadata</c> fields and their values (<c>*</c>: present).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; set; }

    /// <summary>Requested features, all required: <c>tools</c>, <c>images</c>, <c>json</c>, <c>stream</c>.</summary>
    public IReadOnlyList<string>? Features { get; set; }

    /// <summary>Estimated prompt tokens at least this many.</summary>
    public int? MinPromptTokens { get; set; }

    /// <summary>
    /// Kinds of personal data, any of which matches: <c>email</c>, <c>phone</c>, <c>card</c>, <c>iban</c>,
    /// <c>ssn</c>, <c>ip</c>, <c>secret</c>, a name from the route's <c>patterns</c> (or a rule's), or <c>any</c>
    /// (all of them). See <see cref="Privacy.PersonalDataDetector"/>.
    /// </summary>
    public IReadOnlyList<string>? Pii { get; set; }

    /// <summary>
    /// Custom kinds of personal data (name → regular expression). They belong to the whole route, exactly as if
    /// declared under the route's <see cref="RouteConfig.Patterns"/>: every rule may list them, and capture masks them.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Patterns { get; set; }
}

/// <summary>Content capture modes of a route.</summary>
public static class CaptureModes
{
    /// <summary>No content is kept.</summary>
    public const string Off = "off";

    /// <summary>
    /// Content is kept with every kind of personal data the route's <c>pii</c> rules know masked (<c>[email]</c>,
    /// <c>[card]</c>, <c>[employee_id]</c>…): see <see cref="Privacy.PersonalDataDetector"/>.
    /// </summary>
    public const string Redacted = "redacted";

    /// <summary>Content is kept as sent and answered.</summary>
    public const string Full = "full";
}
