namespace Tandem.Providers.Aws;

/// <summary>
/// Credentials from the shared AWS files: <c>~/.aws/credentials</c> (<c>AWS_SHARED_CREDENTIALS_FILE</c>), sections
/// <c>[name]</c>, and <c>~/.aws/config</c> (<c>AWS_CONFIG_FILE</c>), sections <c>[profile name]</c> or
/// <c>[default]</c>. A key in the credentials file wins over the same key in the config file. Only static keys are
/// read: a profile that needs a role, SSO or a process gets a clear error rather than being skipped silently.
/// </summary>
internal sealed class AwsSharedFileCredentials : IAwsCredentialsProvider
{
    private static readonly string[] UnsupportedKeys = ["role_arn", "credential_source", "source_profile", "sso_session", "sso_start_url", "credential_process", "web_identity_token_file"];
    private readonly string _profile;
    private readonly string _credentialsFile;
    private readonly string _configFile;

    public AwsSharedFileCredentials(string profile, string credentialsFile, string configFile)
    {
        _profile = profile;
        _credentialsFile = credentialsFile;
        _configFile = configFile;
    }

    public string Profile => _profile;

    /// <summary>Whether either file defines the profile (the chain moves on when neither does).</summary>
    public bool Defines()
    {
        var (credentials, config) = Read();
        return credentials is not null || config is not null;
    }

    public ValueTask<AwsCredentials> GetAsync(CancellationToken cancellationToken = default)
    {
        var (credentials, config) = Read();
        if (credentials is null && config is null)
        {
            throw new AwsCredentialsException($"AWS profile '{_profile}' is in neither {_credentialsFile} nor {_configFile}");
        }

        string? Value(string key) => credentials?.GetValueOrDefault(key) ?? config?.GetValueOrDefault(key);
        var id = Value("aws_access_key_id");
        var secret = Value("aws_secret_access_key");
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(secret))
        {
            var unsupported = UnsupportedKeys.FirstOrDefault(k => Value(k) is not null);
            throw new AwsCredentialsException(unsupported is not null
                ? $"AWS profile '{_profile}' uses {unsupported}, which Tandem does not support; give the profile aws_access_key_id and aws_secret_access_key, or use environment, container or instance credentials"
                : $"AWS profile '{_profile}' has no aws_access_key_id and aws_secret_access_key");
        }

        var token = Value("aws_session_token");
        return ValueTask.FromResult(new AwsCredentials(id, secret, string.IsNullOrEmpty(token) ? null : token));
    }

    /// <summary>The region the config file gives the profile, if any.</summary>
    public string? Region()
    {
        var (credentials, config) = Read();
        return config?.GetValueOrDefault("region") ?? credentials?.GetValueOrDefault("region");
    }

    private (Dictionary<string, string>? Credentials, Dictionary<string, string>? Config) Read()
    {
        var credentials = Section(_credentialsFile, _profile);
        var config = Section(_configFile, _profile == "default" ? "default" : "profile " + _profile)
            ?? (_profile == "default" ? Section(_configFile, "profile default") : null);
        return (credentials, config);
    }

    /// <summary>The keys of one <c>[section]</c> of an INI file, or null when the file or the section is missing.</summary>
    internal static Dictionary<string, string>? Section(string path, string section)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AwsCredentialsException($"cannot read {path}: {e.Message}", e);
        }

        Dictionary<string, string>? found = null;
        var inSection = false;
        string? lastKey = null;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[' && line[^1] == ']')
            {
                inSection = string.Equals(line[1..^1].Trim(), section, StringComparison.Ordinal);
                if (inSection)
                {
                    found ??= new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                }

                lastKey = null;
                continue;
            }

            if (!inSection)
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                continue;
            }

            if (char.IsWhiteSpace(raw[0]) && lastKey is not null)
            {
                // An indented line is a nested setting (e.g. "s3 =\n  max_concurrent_requests = 20"): not a profile key.
                continue;
            }

            lastKey = line[..eq].Trim();
            found![lastKey] = StripComment(line[(eq + 1)..].Trim());
        }

        return found;
    }

    private static string StripComment(string value)
    {
        // Comments after a value start with " #" or " ;" (a '#' inside a secret key is part of the key).
        for (var i = 1; i < value.Length; i++)
        {
            if (value[i] is '#' or ';' && char.IsWhiteSpace(value[i - 1]))
            {
                return value[..i].TrimEnd();
            }
        }

        return value;
    }
}
