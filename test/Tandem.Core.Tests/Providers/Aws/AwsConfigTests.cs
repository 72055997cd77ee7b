using Tandem.Configuration;
using Xunit;

namespace Tandem.Core.Tests.Providers.Aws;

/// <summary>The <c>aws:</c> provider settings and a deployment's <c>sagemaker:</c> settings: reading, regions, validation.</summary>
public sealed class AwsConfigTests
{
    private static string Yaml(string provider, string deployment = "") => $$"""
        auth: { disabled: true }
        providers:
          - name: p
        {{provider}}
        deployments:
          - name: d
            provider: p
            model: my-endpoint
        {{deployment}}
        routes:
          - { name: r, deployment: d }
        """;

    [Fact]
    public void Parse_SageMakerProviderAndDeployment_ReadsEverySetting()
    {
        var config = ConfigLoader.Parse(Yaml(
            "    type: sagemaker\n    base_url: https://runtime.sagemaker.eu-west-1.amazonaws.com\n    aws: { credentials: profile, profile: prod, credentials_file: /c, config_file: /f, refresh_before: 10m }",
            "    sagemaker: { payload: tgi, chat_template: llama3, default_max_tokens: 256, target_variant: blue, inference_component: ic-1, target_container_hostname: c1, custom_attributes: \"k=v\" }"));

        var aws = config.Providers[0].Aws!;
        Assert.Equal((null, "profile", "prod", "/c", "/f", "10m"), (aws.Region, aws.Credentials, aws.Profile, aws.CredentialsFile, aws.ConfigFile, aws.RefreshBefore));
        Assert.Equal(new SageMakerDeploymentConfig
        {
            Payload = "tgi", ChatTemplate = "llama3", DefaultMaxTokens = 256, TargetVariant = "blue", InferenceComponent = "ic-1", TargetContainerHostname = "c1", CustomAttributes = "k=v",
        }, config.Deployments[0].SageMaker);
    }

    [Theory]
    [InlineData("https://runtime.sagemaker.us-east-1.amazonaws.com", "us-east-1")]
    [InlineData("https://runtime-fips.sagemaker.us-gov-west-1.amazonaws.com", "us-gov-west-1")]
    [InlineData("https://bedrock-runtime.ap-southeast-2.amazonaws.com", "ap-southeast-2")]
    [InlineData("https://bedrock-runtime.cn-north-1.amazonaws.com.cn", "cn-north-1")]
    [InlineData("https://vpce-0abc.runtime.sagemaker.us-east-1.vpce.amazonaws.com", null)]
    [InlineData("http://127.0.0.1:9100", null)]
    public void RegionOf_ReadsTheRegionOfAwsEndpoints(string url, string? region) => Assert.Equal(region, AwsConfig.RegionOf(url));

    [Fact]
    public void ResolveRegion_ConfiguredThenUrlThenEnvironment()
    {
        var env = new Dictionary<string, string?> { ["AWS_DEFAULT_REGION"] = "eu-central-1" };
        Assert.Equal("eu-north-1", AwsConfig.ResolveRegion(new ProviderConfig { BaseUrl = "https://bedrock-runtime.us-east-1.amazonaws.com", Aws = new AwsConfig { Region = "eu-north-1" } }, env.GetValueOrDefault));
        Assert.Equal("us-east-1", AwsConfig.ResolveRegion(new ProviderConfig { BaseUrl = "https://bedrock-runtime.us-east-1.amazonaws.com" }, env.GetValueOrDefault));
        Assert.Equal("eu-central-1", AwsConfig.ResolveRegion(new ProviderConfig { BaseUrl = "http://127.0.0.1:1" }, env.GetValueOrDefault));
        env["AWS_REGION"] = "eu-west-3";
        Assert.Equal("eu-west-3", AwsConfig.ResolveRegion(new ProviderConfig { BaseUrl = "http://127.0.0.1:1" }, env.GetValueOrDefault));
        Assert.Null(AwsConfig.ResolveRegion(new ProviderConfig { BaseUrl = "http://127.0.0.1:1" }, _ => null));
    }

    [Theory]
    [InlineData("    type: bedrock\n    base_url: https://bedrock-runtime.us-east-1.amazonaws.com\n    aws: { credentials: sso }", "", "providers[0].aws.credentials: unknown source 'sso' (expected chain, environment, web_identity, profile, container, instance)")]
    [InlineData("    type: bedrock\n    base_url: https://bedrock-runtime.us-east-1.amazonaws.com\n    aws: { region: US_EAST }", "", "providers[0].aws.region: 'US_EAST' is not a region name (e.g. us-east-1)")]
    [InlineData("    type: bedrock\n    base_url: https://bedrock-runtime.us-east-1.amazonaws.com\n    aws: { refresh_before: soon }", "", "providers[0].aws.refresh_before:")]
    [InlineData("    type: bedrock\n    base_url: https://bedrock-runtime.us-east-1.amazonaws.com\n    health_check: { path: ping }", "", "providers[0].health_check: AWS runtime endpoints have no health path to poll")]
    [InlineData("    base_url: https://api.openai.com/v1\n    aws: { region: us-east-1 }", "", "providers[0].aws: only for providers of type 'sagemaker' or 'bedrock'")]
    [InlineData("    base_url: https://api.openai.com/v1", "    sagemaker: { payload: messages }", "deployments[0].sagemaker: only for deployments on a provider of type 'sagemaker' (provider 'p' is 'openai')")]
    [InlineData("    type: sagemaker\n    base_url: https://runtime.sagemaker.us-east-1.amazonaws.com", "    sagemaker: { payload: tgi }", "deployments[0].sagemaker.chat_template: required for the tgi payload (llama3, chatml, mistral)")]
    [InlineData("    type: sagemaker\n    base_url: https://runtime.sagemaker.us-east-1.amazonaws.com", "    sagemaker: { payload: jumpstart }", "deployments[0].sagemaker.payload: unknown payload 'jumpstart' (expected 'messages' or 'tgi')")]
    [InlineData("    type: sagemaker\n    base_url: https://runtime.sagemaker.us-east-1.amazonaws.com", "    sagemaker: { payload: tgi, chat_template: gemma }", "deployments[0].sagemaker.chat_template: unknown template 'gemma' (expected llama3, chatml, mistral)")]
    [InlineData("    type: sagemaker\n    base_url: https://runtime.sagemaker.us-east-1.amazonaws.com", "    sagemaker: { target_variant: \"a\\nb\" }", "deployments[0].sagemaker.target_variant: must be printable ASCII (it is sent as an HTTP header)")]
    public void Validate_ReportsAwsMistakesByPath(string provider, string deployment, string error)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Yaml(provider, deployment)));

        Assert.Contains(e.Errors, x => x.StartsWith(error, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_AwsTypesAreBuiltIn_AndTheYamlKeyIsSagemaker()
    {
        var config = ConfigLoader.Parse(Yaml("    type: sagemaker\n    base_url: https://runtime.sagemaker.us-east-1.amazonaws.com", "    sagemaker: { inference_component: ic }"));
        Assert.Equal("ic", config.Deployments[0].SageMaker!.InferenceComponent);

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Yaml("    type: sagemaker\n    base_url: https://runtime.sagemaker.us-east-1.amazonaws.com", "    sage_maker: { inference_component: ic }")));
        Assert.Contains("sage_maker", e.Message, StringComparison.Ordinal);
    }
}
