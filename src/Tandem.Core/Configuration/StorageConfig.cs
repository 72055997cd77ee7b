namespace Tandem.Configuration;

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
