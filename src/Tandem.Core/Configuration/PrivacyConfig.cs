namespace Tandem.Configuration;

/// <summary>How captured content (prompts, answers, feedback text, shadow answers) is protected where it is kept.</summary>
public sealed record PrivacyConfig
{
    /// <summary>Encryption at rest of captured content; null keeps content in clear text.</summary>
    public EncryptionConfig? Encryption { get; set; }
}

/// <summary>
/// AES-256-GCM encryption of captured content. New rows use <see cref="Active"/>; rows written under another listed
/// key stay readable, so a key is rotated by adding a new one, making it active and (once
/// <c>tandem records reencrypt</c> has moved the old rows) removing the old one.
/// </summary>
public sealed record EncryptionConfig
{
    /// <summary>The keys rows may be encrypted with.</summary>
    public IReadOnlyList<EncryptionKeyConfig> Keys { get; set; } = [];

    /// <summary>The id of the key new rows are encrypted with.</summary>
    public string? Active { get; set; }
}

/// <summary>One content key: 32 bytes, base64-encoded, in an environment variable or a file. Exactly one of <see cref="Env"/> and <see cref="File"/> is set.</summary>
public sealed record EncryptionKeyConfig
{
    /// <summary>The key's id, stored with every row it encrypts (letters, digits, <c>-</c>, <c>_</c>, <c>.</c>; at most 32).</summary>
    public string Id { get; set; } = "";

    /// <summary>Environment variable holding the base64 key.</summary>
    public string? Env { get; set; }

    /// <summary>File holding the base64 key (relative to the configuration file's directory), e.g. a mounted secret.</summary>
    public string? File { get; set; }
}
