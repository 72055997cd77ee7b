namespace Tandem.Configuration;

/// <summary>Checks of the AWS providers (<c>sagemaker</c>, <c>bedrock</c>) and of deployments' <c>sagemaker:</c> settings.</summary>
public static partial class ConfigValidator
{
    private static void ValidateAws(TandemConfig config, List<string> errors)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Providers.Count; i++)
        {
            var p = config.Providers[i];
            var path = $"providers[{i}]";
            types.TryAdd(p.Name, p.Type);
            var isAws = p.Type is ProviderTypes.SageMaker or ProviderTypes.Bedrock;
            if (!isAws)
            {
                if (p.Aws is not null)
                {
                    errors.Add($"{path}.aws: only for providers of type '{ProviderTypes.SageMaker}' or '{ProviderTypes.Bedrock}'");
                }

                continue;
            }

            var aws = p.Aws ?? new AwsConfig();
            if (AwsConfig.ResolveRegion(p, Environment.GetEnvironmentVariable) is null)
            {
                errors.Add($"{path}.aws.region: required: the base_url names no AWS region and neither AWS_REGION nor AWS_DEFAULT_REGION is set");
            }
            else if (aws.Region is { } region && !IsRegion(region))
            {
                errors.Add($"{path}.aws.region: '{region}' is not a region name (e.g. us-east-1)");
            }

            if (!AwsCredentialSources.All.Contains(aws.Credentials))
            {
                errors.Add($"{path}.aws.credentials: unknown source '{aws.Credentials}' (expected {string.Join(", ", AwsCredentialSources.All)})");
            }

            CheckDuration(aws.RefreshBefore, $"{path}.aws.refresh_before", errors);
            if (p.ApiKeyEnv is not null)
            {
                errors.Add($"{path}.api_key_env: {p.Type} requests are signed with AWS credentials (aws.credentials), not an API key");
            }

            if (p.HealthCheck is not null)
            {
                errors.Add($"{path}.health_check: AWS runtime endpoints have no health path to poll; remove it (failures still eject replicas and open the breaker)");
            }
        }

        for (var i = 0; i < config.Deployments.Count; i++)
        {
            var d = config.Deployments[i];
            if (d.SageMaker is not { } s)
            {
                continue;
            }

            var path = $"deployments[{i}].sagemaker";
            if (types.TryGetValue(d.Provider, out var type) && type != ProviderTypes.SageMaker)
            {
                errors.Add($"{path}: only for deployments on a provider of type '{ProviderTypes.SageMaker}' (provider '{d.Provider}' is '{type}')");
            }

            if (s.Payload is not (SageMakerPayloads.Messages or SageMakerPayloads.Tgi))
            {
                errors.Add($"{path}.payload: unknown payload '{s.Payload}' (expected '{SageMakerPayloads.Messages}' or '{SageMakerPayloads.Tgi}')");
            }

            if (s.Payload == SageMakerPayloads.Tgi && s.ChatTemplate is null)
            {
                errors.Add($"{path}.chat_template: required for the tgi payload ({string.Join(", ", ChatTemplates.All)})");
            }
            else if (s.ChatTemplate is not null && !ChatTemplates.All.Contains(s.ChatTemplate))
            {
                errors.Add($"{path}.chat_template: unknown template '{s.ChatTemplate}' (expected {string.Join(", ", ChatTemplates.All)})");
            }

            if (s.DefaultMaxTokens < 1)
            {
                errors.Add($"{path}.default_max_tokens: must be positive");
            }

            CheckHeaderValue(s.TargetVariant, $"{path}.target_variant", errors);
            CheckHeaderValue(s.InferenceComponent, $"{path}.inference_component", errors);
            CheckHeaderValue(s.TargetContainerHostname, $"{path}.target_container_hostname", errors);
            CheckHeaderValue(s.CustomAttributes, $"{path}.custom_attributes", errors);
        }
    }

    private static bool IsRegion(string region) =>
        region.Length is > 0 and <= 32 && region.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-') && region.Contains('-', StringComparison.Ordinal);

    private static void CheckHeaderValue(string? value, string path, List<string> errors)
    {
        if (value is not null && (value.Length == 0 || value.Any(c => c < ' ' || c > '~')))
        {
            errors.Add($"{path}: must be printable ASCII (it is sent as an HTTP header)");
        }
    }
}
