
namespace Tandem.Configuration;

public static partial class ConfigValidator
{
    private static void ValidateStorage(StorageConfig s, List<string> errors)
    {
        if (s.EngineSet && s.EngineAlias is not null && s.EngineAlias != s.Engine)
        {
            errors.Add($"storage.provider: '{s.EngineAlias}' contradicts storage.engine '{s.Engine}' (provider is the old name of engine: keep only engine)");
        }

        var key = s.EngineSet || s.EngineAlias is null ? "storage.engine" : "storage.provider";
        if (s.Engine is not (StorageEngines.Sqlite or StorageEngines.Postgres))
        {
            errors.Add($"{key}: unknown engine '{s.Engine}' (expected '{StorageEngines.Sqlite}' or '{StorageEngines.Postgres}')");
        }

        if (s.Engine == StorageEngines.Sqlite && string.IsNullOrWhiteSpace(s.Path))
        {
            errors.Add("storage.path: required for sqlite");
        }

        if (s.Engine == StorageEngines.Postgres)
        {
            if (string.IsNullOrWhiteSpace(s.ConnectionStringEnv))
            {
                errors.Add("storage.connection_string_env: required for postgres");
            }
            else if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(s.ConnectionStringEnv)))
            {
                errors.Add($"storage.connection_string_env: environment variable '{s.ConnectionStringEnv}' is not set");
            }

            if (s.Schema is not null && !Identifier().IsMatch(s.Schema))
            {
                errors.Add($"storage.schema: '{s.Schema}' must be a plain identifier (letters, digits, underscore)");
            }
        }

        if (s.QueueCapacity <= 0)
        {
            errors.Add("storage.queue_capacity: must be positive");
        }

        if (s.BatchSize <= 0)
        {
            errors.Add("storage.batch_size: must be positive");
        }
        else if (s.QueueCapacity > 0 && s.BatchSize > s.QueueCapacity)
        {
            errors.Add("storage.batch_size: must not exceed storage.queue_capacity");
        }

        if (s.RetentionDays <= 0)
        {
            errors.Add("storage.retention_days: must be positive");
        }

        if (s.RollupRetentionDays < s.RetentionDays)
        {
            errors.Add("storage.rollup_retention_days: must be at least storage.retention_days");
        }

        if (s.EndUserSaltEnv is not null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(s.EndUserSaltEnv)))
        {
            errors.Add($"storage.end_user_salt_env: environment variable '{s.EndUserSaltEnv}' is not set");
        }
    }
}
