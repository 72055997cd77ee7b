using Tandem.Configuration;

namespace Tandem.Providers.Aws;

/// <summary>Builds the signer of an AWS provider from its <c>aws:</c> settings.</summary>
internal static class AwsSetup
{
    /// <summary>The signer of <paramref name="config"/> for <paramref name="service"/> (<c>sagemaker</c>, <c>bedrock</c>).</summary>
    /// <exception cref="ConfigException">No region can be found (validation reports this first).</exception>
    public static AwsRequestSigner Signer(ProviderConfig config, string service, AwsEnvironment environment, TimeProvider time)
    {
        var aws = config.Aws ?? new AwsConfig();
        var region = AwsConfig.ResolveRegion(config, environment.Variable)
            ?? throw new ConfigException([$"provider '{config.Name}': aws.region is required (the base_url names no region and AWS_REGION is not set)"]);
        if (!ConfigLoader.TryParseDuration(aws.RefreshBefore, out var refreshBefore))
        {
            refreshBefore = TimeSpan.FromMinutes(5);
        }

        return new AwsRequestSigner(region, service, new RefreshingAwsCredentials(Credentials(aws, environment), time, refreshBefore), time);
    }

    /// <summary>The credential source <paramref name="aws"/> names (by default the standard chain).</summary>
    public static IAwsCredentialsProvider Credentials(AwsConfig aws, AwsEnvironment environment) => aws.Credentials switch
    {
        AwsCredentialSources.Environment => new AwsCredentialChain([("environment", () => AwsCredentialChain.Environment(environment.Variable))]),
        AwsCredentialSources.Profile => AwsCredentialChain.SharedFiles(environment, aws.Profile, aws.CredentialsFile, aws.ConfigFile),
        AwsCredentialSources.WebIdentity => new AwsCredentialChain([("web identity", () => AwsWebIdentityCredentials.FromEnvironment(environment.Variable, environment.Sts))]),
        AwsCredentialSources.Container => new AwsCredentialChain([("container", () => AwsContainerCredentials.FromEnvironment(environment.Variable, environment.Http, environment.EcsHost))]),
        AwsCredentialSources.Instance => new AwsCredentialChain([("instance", () => AwsInstanceCredentials.FromEnvironment(environment.Variable, environment.Http))]),
        _ => AwsCredentialChain.Standard(environment, aws.Profile, aws.CredentialsFile, aws.ConfigFile),
    };
}
