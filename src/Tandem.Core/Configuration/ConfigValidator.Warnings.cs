namespace Tandem.Configuration;

/// <summary>Settings that are valid but probably not what the author meant.</summary>
public static partial class ConfigValidator
{
    /// <summary>
    /// Returns warnings about a usable configuration, each starting with its path. <c>tandem config check</c> prints
    /// them and the gateway logs them when it loads the file; none of them stops a load.
    /// </summary>
    public static IReadOnlyList<string> Warnings(TandemConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var warnings = new List<string>();
        if (config.Auth.AdminKeyEnv is { Length: > 0 } adminEnv && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(adminEnv))
            && config.Auth.AdminKeySha256 is null)
        {
            // Fail-closed, so not an error: but an admin API that refuses everyone is rarely intended.
            warnings.Add($"auth.admin_key_env: environment variable '{adminEnv}' is not set; the admin API (/admin/*) will refuse every request");
        }

        return warnings;
    }
}
