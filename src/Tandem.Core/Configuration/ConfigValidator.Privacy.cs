using System.Text.RegularExpressions;

namespace Tandem.Configuration;

/// <summary>Checks of <c>privacy:</c>.</summary>
public static partial class ConfigValidator
{
    private static void ValidatePrivacy(PrivacyConfig privacy, List<string> errors)
    {
        if (privacy.Encryption is not { } e)
        {
            return;
        }

        if (e.Keys.Count == 0)
        {
            errors.Add("privacy.encryption.keys: at least one key is required");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < e.Keys.Count; i++)
        {
            var k = e.Keys[i];
            var path = $"privacy.encryption.keys[{i}]";
            if (!KeyId().IsMatch(k.Id))
            {
                errors.Add($"{path}.id: '{k.Id}' is not a key id (letters, digits, '-', '_', '.'; 1 to 32 characters)");
            }
            else if (!ids.Add(k.Id))
            {
                errors.Add($"{path}.id: '{k.Id}' is listed twice");
            }

            if ((k.Env is null) == (k.File is null))
            {
                errors.Add($"{path}: set exactly one of env and file");
            }
            else if (k.Env is not null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(k.Env)))
            {
                errors.Add($"{path}.env: environment variable '{k.Env}' is not set");
            }
        }

        if (e.Active is null)
        {
            errors.Add("privacy.encryption.active: name the key new rows are encrypted with");
        }
        else if (!ids.Contains(e.Active))
        {
            errors.Add($"privacy.encryption.active: '{e.Active}' is not one of privacy.encryption.keys");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,32}$")]
    private static partial Regex KeyId();
}
