using Tandem.Configuration;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Configuration;

public sealed class ConfigLoaderTests
{
    private const string Valid = """
        auth:
          keys:
            - name: app
              key_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
              routes: [intent]
        providers:
          - name: openai
            base_url: https://api.openai.com/v1
            timeouts: { connect: 500ms, first_byte: 30s, total: 2m }
          - name: azure
            type: azure-openai
            base_url: https://contoso.openai.azure.com
            api_version: 2024-10-21
        deployments:
          - name: gpt-4o-mini
            provider: openai
            model: gpt-4o-mini-2024-07-18
            version: 2024-07-18
          - name: gpt-4o@azure
            provider: azure
            model: prod-gpt4o
        routes:
          - name: intent
            deployment: gpt-4o-mini
        """;

    [Fact]
    public void Parse_ValidYaml_ReadsEverySection()
    {
        var config = ConfigLoader.Parse(Valid);
        Assert.Equal(2, config.Providers.Count);
        Assert.Equal("2024-10-21", config.Providers[1].ApiVersion);
        Assert.Equal("500ms", config.Providers[0].Timeouts.Connect);
        Assert.Equal("60s", config.Providers[1].Timeouts.FirstByte);
        Assert.Equal("2024-07-18", config.Deployments[0].Version);
        Assert.Equal(["intent"], config.Auth.Keys[0].Routes);
        Assert.Equal(4 * 1024 * 1024, config.Server.MaxBodyBytes);
    }

    [Fact]
    public void Parse_Json_IsAcceptedToo()
    {
        var config = ConfigLoader.Parse("""
            {"auth":{"disabled":true},
             "providers":[{"name":"p","base_url":"http://127.0.0.1:9/v1","max_concurrency":8}],
             "deployments":[{"name":"d","provider":"p","model":"m"}],
             "routes":[{"name":"r","deployment":"d"}]}
            """);
        Assert.Equal(8, config.Providers[0].MaxConcurrency);
        Assert.True(config.Auth.Disabled);
    }

    [Fact]
    public void Parse_InvalidConfig_ReportsEveryErrorWithItsPath()
    {
        var yaml = """
            auth:
              keys:
                - name: app
                  key_sha256: nothex
                  routes: [nowhere]
            providers:
              - name: p
                type: watsonx
                base_url: not a url
                timeouts: { connect: soon }
              - name: p
                base_url: http://127.0.0.1:1/v1
                type: azure-openai
            deployments:
              - name: d
                provider: missing
                model: m
            routes:
              - name: a
                deployment: d
              - name: a
                deployment: d
              - name: c
                deployment: llama-8b
            """;
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml));
        Assert.Contains("auth.keys[0].key_sha256: must be 64 hexadecimal characters", e.Errors);
        Assert.Contains("auth.keys[0].routes[0]: unknown route or deployment 'nowhere'", e.Errors);
        Assert.Contains("providers[0].type: unknown provider type 'watsonx' (expected 'anthropic' or 'azure-openai' or 'bedrock' or 'gemini' or 'openai' or 'sagemaker')", e.Errors);
        Assert.Contains("providers[0].base_url: 'not a url' is not an absolute http(s) URL", e.Errors);
        Assert.Contains("providers[0].timeouts.connect: 'soon' is not a positive duration (e.g. 500ms, 5s, 2m)", e.Errors);
        Assert.Contains("providers[1].name: duplicate provider 'p'", e.Errors);
        Assert.Contains("providers[1].api_version: required for azure-openai", e.Errors);
        Assert.Contains("deployments[0].provider: unknown provider 'missing'", e.Errors);
        Assert.Contains("routes[1].name: duplicate route 'a'", e.Errors);
        Assert.Contains("routes[2].deployment: unknown deployment 'llama-8b'", e.Errors);
        Assert.Equal(10, e.Errors.Count);
    }

    [Fact]
    public void Parse_UnknownSetting_IsNamedWithItsPath()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            auth: { disabled: true }
            providers:
              - name: p
                base_url: http://x/v1
                timeout: 5s
            """));
        Assert.Equal("providers[0].timeout: unknown setting", Assert.Single(e.Errors));
    }

    [Fact]
    public void Parse_WrongType_IsNamedWithItsPath()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            auth: { disabled: true }
            providers:
              - name: p
                base_url: http://x/v1
                max_concurrency: lots
            """));
        Assert.StartsWith("providers[0].max_concurrency: ", Assert.Single(e.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadYaml_ReportsLineAndColumn()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("providers:\n  - name: [unclosed\n"));
        Assert.StartsWith("line ", Assert.Single(e.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingKeys_RequiresAuthOrExplicitOptOut()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("providers: []"));
        Assert.Contains(e.Errors, m => m.StartsWith("auth.keys:", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_EnvironmentReferences_AreExpandedOrReported()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_UPSTREAM", "http://10.0.0.9:8000/v1");
        var config = ConfigLoader.Parse("""
            auth: { disabled: true }
            providers:
              - name: p
                base_url: ${TANDEM_TEST_UPSTREAM}
              - name: q
                base_url: ${TANDEM_TEST_UNSET_VAR:-http://127.0.0.1:1/v1}
            """);
        Assert.Equal("http://10.0.0.9:8000/v1", config.Providers[0].BaseUrl);
        Assert.Equal("http://127.0.0.1:1/v1", config.Providers[1].BaseUrl);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("auth: { disabled: true }\nproviders:\n  - name: p\n    base_url: ${TANDEM_TEST_UNSET_VAR}\n"));
        Assert.Contains("environment variable 'TANDEM_TEST_UNSET_VAR' is not set", Assert.Single(e.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CredentialEnvironmentVariableMissing_IsAnError()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            auth: { disabled: true }
            providers:
              - name: p
                base_url: http://x/v1
                api_key_env: TANDEM_TEST_NO_SUCH_KEY
            """));
        Assert.Equal("providers[0].api_key_env: environment variable 'TANDEM_TEST_NO_SUCH_KEY' is not set", Assert.Single(e.Errors));
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("5s", 5000)]
    [InlineData("1.5s", 1500)]
    [InlineData("2m", 120000)]
    [InlineData("1h", 3600000)]
    [InlineData("3", 3000)]
    public void TryParseDuration_ReadsUnits(string text, double ms)
    {
        Assert.True(ConfigLoader.TryParseDuration(text, out var d));
        Assert.Equal(ms, d.TotalMilliseconds);
    }

    [Fact]
    public void KeyRing_MatchesOnlyTheHashedKey()
    {
        var config = ConfigLoader.Parse("""
            auth:
              keys:
                - name: hashed
                  key_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
                - name: plain
                  key: sk-plain-123456
                  routes: [r]
            providers: [{ name: p, base_url: "http://x/v1" }]
            deployments: [{ name: d, provider: p, model: m }]
            routes: [{ name: r, deployment: d }]
            """);
        var snapshot = GatewaySnapshot.Build(config, null);
        Assert.Equal("hashed", snapshot.Keys.Authenticate("test")!.Name);
        var plain = snapshot.Keys.Authenticate("sk-plain-123456")!;
        Assert.Equal("plain", plain.Name);
        Assert.Null(snapshot.Keys.Authenticate("sk-plain-12345"));
        Assert.Null(snapshot.Keys.Authenticate(""));
        Assert.True(snapshot.TryResolve("r", plain, out _, out _));
        Assert.False(snapshot.TryResolve("d", plain, out _, out _));
        Assert.Equal("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", KeyRing.HashHex("test"));
    }

    [Fact]
    public void Build_Reload_KeepsUnchangedProviderRuntimes()
    {
        var first = GatewaySnapshot.Build(ConfigLoader.Parse(Valid), null);
        var second = GatewaySnapshot.Build(ConfigLoader.Parse(Valid.Replace("max_concurrency", "x", StringComparison.Ordinal).Replace("https://contoso", "https://fabrikam", StringComparison.Ordinal)), first);
        Assert.Same(first.Providers["openai"], second.Providers["openai"]);
        Assert.NotSame(first.Providers["azure"], second.Providers["azure"]);
        Assert.Equal([first.Providers["azure"]], first.ProvidersRetiredBy(second));
        Assert.Equal(2, second.Version);
    }

    [Fact]
    public void UriFor_Azure_UsesDeploymentUrlAndApiVersion()
    {
        var snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Valid), null);
        var azure = snapshot.Deployments["gpt-4o@azure"];
        Assert.Equal("https://contoso.openai.azure.com/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21",
            ((Tandem.Providers.OpenAiAdapter)azure.Provider.Adapter).UriFor(Tandem.Wire.ApiOperation.ChatCompletions, azure.UpstreamModel, azure.Provider.Endpoints[0]).ToString());
        var openai = snapshot.Deployments["gpt-4o-mini"];
        Assert.Equal("https://api.openai.com/v1/embeddings", ((Tandem.Providers.OpenAiAdapter)openai.Provider.Adapter).UriFor(Tandem.Wire.ApiOperation.Embeddings, openai.UpstreamModel, openai.Provider.Endpoints[0]).ToString());
    }
}
