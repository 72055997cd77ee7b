using System.Text.RegularExpressions;

namespace Tandem.Configuration;

/// <summary>
/// AWS settings of a <c>sagemaker</c> or <c>bedrock</c> provider (YAML <c>aws:</c>): the region to sign for and where
/// credentials come from. Requests are signed with Signature Version 4; <c>api_key_env</c> is not used.
/// </summary>
public sealed partial record AwsConfig
{
    /// <summary>
    /// The region, e.g. <c>us-east-1</c>. Absent: read from an AWS <c>base_url</c>
    /// (<c>runtime.sagemaker.REGION.amazonaws.com</c>, <c>bedrock-runtime.REGION.amazonaws.com</c>), else from
    /// <c>AWS_REGION</c> or <c>AWS_DEFAULT_REGION</c>.
    /// </summary>
    public string? Region { get; set; }

    /// <summary>
    /// Where credentials come from: <c>chain</c> (default: environment, web identity, profile files, container
    /// endpoint, instance metadata, in that order), or one of <c>environment</c>, <c>web_identity</c>, <c>profile</c>,
    /// <c>container</c>, <c>instance</c>.
    /// </summary>
    public string Credentials { get; set; } = AwsCredentialSources.Chain;

    /// <summary>The shared-file profile; absent: <c>AWS_PROFILE</c>, else <c>default</c>.</summary>
    public string? Profile { get; set; }

    /// <summary>The shared credentials file; absent: <c>AWS_SHARED_CREDENTIALS_FILE</c>, else <c>~/.aws/credentials</c>.</summary>
    public string? CredentialsFile { get; set; }

    /// <summary>The shared config file; absent: <c>AWS_CONFIG_FILE</c>, else <c>~/.aws/config</c>.</summary>
    public string? ConfigFile { get; set; }

    /// <summary>How long before temporary credentials expire new ones are fetched (default <c>5m</c>).</summary>
    public string RefreshBefore { get; set; } = "5m";

    /// <summary>The region an AWS endpoint URL names, or null (a VPC endpoint, a local simulator).</summary>
    public static string? RegionOf(string baseUrl)
    {
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var match = AwsHost().Match(uri.Host);
        return match.Success ? match.Groups["region"].Value : null;
    }

    /// <summary>The region of a provider: configured, from its URL, or from the environment; null when none says.</summary>
    internal static string? ResolveRegion(ProviderConfig provider, Func<string, string?> env) =>
        provider.Aws?.Region is { Length: > 0 } configured ? configured
        : RegionOf(provider.BaseUrl is { Length: > 0 } b ? b : provider.Endpoints.FirstOrDefault() ?? "") is { } fromUrl ? fromUrl
        : env("AWS_REGION") is { Length: > 0 } r ? r
        : env("AWS_DEFAULT_REGION") is { Length: > 0 } d ? d
        : null;

    [GeneratedRegex(@"^(?:runtime(?:-fips)?\.sagemaker|bedrock-runtime(?:-fips)?)\.(?<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$", RegexOptions.CultureInvariant)]
    private static partial Regex AwsHost();
}

/// <summary>The credential sources an <see cref="AwsConfig"/> may name.</summary>
public static class AwsCredentialSources
{
    /// <summary>The standard chain: environment, web identity, profile, container, instance.</summary>
    public const string Chain = "chain";

    /// <summary><c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>, <c>AWS_SESSION_TOKEN</c>.</summary>
    public const string Environment = "environment";

    /// <summary>A web identity token exchanged at STS (<c>AWS_WEB_IDENTITY_TOKEN_FILE</c>, <c>AWS_ROLE_ARN</c>).</summary>
    public const string WebIdentity = "web_identity";

    /// <summary>The shared credentials and config files.</summary>
    public const string Profile = "profile";

    /// <summary>A container credentials endpoint (ECS task role, EKS Pod Identity).</summary>
    public const string Container = "container";

    /// <summary>The EC2 instance metadata service (IMDSv2).</summary>
    public const string Instance = "instance";

    /// <summary>All of them.</summary>
    public static IReadOnlyList<string> All { get; } = [Chain, Environment, WebIdentity, Profile, Container, Instance];
}

/// <summary>
/// How a deployment on a <c>sagemaker</c> provider talks to its endpoint (YAML <c>sagemaker:</c> on the deployment;
/// the deployment's <c>model</c> is the endpoint name).
/// </summary>
public sealed record SageMakerDeploymentConfig
{
    /// <summary>
    /// The payload the container takes: <c>messages</c> (default: OpenAI chat completions, as served by vLLM, LMI and
    /// TGI's Messages API) or <c>tgi</c> (TGI/LMI <c>inputs</c> + <c>parameters</c>, the prompt rendered with
    /// <see cref="ChatTemplate"/>).
    /// </summary>
    public string Payload { get; set; } = SageMakerPayloads.Messages;

    /// <summary>For <c>tgi</c> payloads: <c>llama3</c>, <c>chatml</c> or <c>mistral</c>.</summary>
    public string? ChatTemplate { get; set; }

    /// <summary>For <c>tgi</c> payloads: <c>max_new_tokens</c> when the request sets no limit (default 1024; TGI's own default is 20).</summary>
    public int DefaultMaxTokens { get; set; } = 1024;

    /// <summary>For <c>messages</c> payloads: the <c>model</c> written in the body; absent: the endpoint name.</summary>
    public string? ContainerModel { get; set; }

    /// <summary>The production variant to invoke (<c>X-Amzn-SageMaker-Target-Variant</c>).</summary>
    public string? TargetVariant { get; set; }

    /// <summary>The inference component to invoke (<c>X-Amzn-SageMaker-Inference-Component</c>).</summary>
    public string? InferenceComponent { get; set; }

    /// <summary>The container of a multi-container endpoint (<c>X-Amzn-SageMaker-Target-Container-Hostname</c>).</summary>
    public string? TargetContainerHostname { get; set; }

    /// <summary>Passed to the container as is (<c>X-Amzn-SageMaker-Custom-Attributes</c>).</summary>
    public string? CustomAttributes { get; set; }
}

/// <summary>The payload shapes a SageMaker deployment may take.</summary>
public static class SageMakerPayloads
{
    /// <summary>OpenAI chat completions (vLLM, LMI, TGI Messages API).</summary>
    public const string Messages = "messages";

    /// <summary>TGI/LMI <c>inputs</c> + <c>parameters</c>.</summary>
    public const string Tgi = "tgi";
}

/// <summary>Chat templates for <c>tgi</c> payloads.</summary>
public static class ChatTemplates
{
    /// <summary>Llama 3 / 3.1 / 3.2 / 3.3 instruct.</summary>
    public const string Llama3 = "llama3";

    /// <summary>ChatML (Qwen, many fine-tunes).</summary>
    public const string ChatMl = "chatml";

    /// <summary>Mistral / Mixtral instruct (<c>[INST]</c>).</summary>
    public const string Mistral = "mistral";

    /// <summary>All of them.</summary>
    public static IReadOnlyList<string> All { get; } = [Llama3, ChatMl, Mistral];
}
