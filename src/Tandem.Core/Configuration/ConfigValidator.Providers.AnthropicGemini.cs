using Tandem.Providers.Gemini;

namespace Tandem.Configuration;

/// <summary>Checks of the <c>anthropic</c> and <c>gemini</c> provider settings.</summary>
public static partial class ConfigValidator
{
    private static void ValidateAnthropicGemini(ProviderConfig p, string path, List<string> errors)
    {
        if (p.Anthropic is { } a)
        {
            if (p.Type != ProviderTypes.Anthropic)
            {
                errors.Add($"{path}.anthropic: only for providers of type '{ProviderTypes.Anthropic}'");
            }

            if (string.IsNullOrWhiteSpace(a.Version))
            {
                errors.Add($"{path}.anthropic.version: required (the anthropic-version header, e.g. 2023-06-01)");
            }

            if (a.DefaultMaxTokens <= 0)
            {
                errors.Add($"{path}.anthropic.default_max_tokens: must be positive");
            }

            if (a.JsonSchema is not (AnthropicJsonSchemaModes.Native or AnthropicJsonSchemaModes.Tool))
            {
                errors.Add($"{path}.anthropic.json_schema: unknown mode '{a.JsonSchema}' (expected '{AnthropicJsonSchemaModes.Native}' or '{AnthropicJsonSchemaModes.Tool}')");
            }

            for (var i = 0; i < a.Beta.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(a.Beta[i]) || a.Beta[i].Any(c => c is ',' or < ' ' or >= (char)127))
                {
                    errors.Add($"{path}.anthropic.beta[{i}]: '{a.Beta[i]}' is not a beta feature name");
                }
            }
        }

        if (p.Gemini is { } g)
        {
            if (p.Type != ProviderTypes.Gemini)
            {
                errors.Add($"{path}.gemini: only for providers of type '{ProviderTypes.Gemini}'");
            }

            if (g.Schemas is not (GeminiSchemaModes.OpenApi or GeminiSchemaModes.JsonSchema))
            {
                errors.Add($"{path}.gemini.schemas: unknown mode '{g.Schemas}' (expected '{GeminiSchemaModes.OpenApi}' or '{GeminiSchemaModes.JsonSchema}')");
            }

            if (g.Vertex is { } v)
            {
                ValidateVertex(v, p, path + ".gemini.vertex", errors);
            }
        }
    }

    private static void ValidateVertex(GeminiVertexConfig v, ProviderConfig p, string path, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(v.Project) || v.Project.Contains('/', StringComparison.Ordinal))
        {
            errors.Add($"{path}.project: required (the Google Cloud project id)");
        }

        if (string.IsNullOrWhiteSpace(v.Location) || v.Location.Contains('/', StringComparison.Ordinal))
        {
            errors.Add($"{path}.location: required (a region such as us-central1, or global)");
        }

        if (p.ApiKeyEnv is not null)
        {
            errors.Add($"{path}: Vertex AI uses the service account's token; remove api_key_env (an API key is for the Gemini API)");
        }

        if (string.IsNullOrWhiteSpace(v.CredentialsEnv))
        {
            errors.Add($"{path}.credentials_env: required (the environment variable naming the service account's JSON key file)");
            return;
        }

        var file = Environment.GetEnvironmentVariable(v.CredentialsEnv);
        if (string.IsNullOrEmpty(file))
        {
            errors.Add($"{path}.credentials_env: environment variable '{v.CredentialsEnv}' is not set");
            return;
        }

        if (!ServiceAccountKey.TryLoad(file, out _, out var problem))
        {
            errors.Add($"{path}.credentials_env: {problem}");
        }
    }

    private static void ValidateAnthropicDeployment(TandemConfig config, DeploymentConfig d, string path, List<string> errors)
    {
        if (d.Anthropic is not { } a)
        {
            return;
        }

        var provider = config.Providers.FirstOrDefault(p => p.Name == d.Provider);
        if (provider is not null && provider.Type != ProviderTypes.Anthropic)
        {
            errors.Add($"{path}.anthropic: only for deployments on a provider of type '{ProviderTypes.Anthropic}'");
        }

        if (a.DefaultMaxTokens is <= 0)
        {
            errors.Add($"{path}.anthropic.default_max_tokens: must be positive");
        }
    }
}
