using System.Text.Json;
using Tandem.Configuration;
using Tandem.Routing;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Routing;

/// <summary>Data residency: <c>region</c> tags on deployments, kept by a route's or a pii rule's <c>region</c>, fallbacks included.</summary>
public sealed class ResidencyTests
{
    private const string Base = """
        auth: { disabled: true }
        providers: [ { name: p, base_url: "http://127.0.0.1:1/v1" } ]
        deployments:
          - { name: us-gpt, provider: p, model: m, region: us }
          - { name: us-claude, provider: p, model: m, region: us }
          - { name: eu-mistral, provider: p, model: m, region: eu }
          - { name: eu-llama, provider: p, model: m, region: eu }
          - { name: untagged, provider: p, model: m }
        routes:
        """;

    private static RequestView Request(string content) =>
        RequestView.For("{\"model\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":" + JsonSerializer.Serialize(content) + "}]}");

    private static List<string> Errors(string route)
    {
        try
        {
            ConfigLoader.Parse(Base + "\n" + route);
            return [];
        }
        catch (ConfigException e)
        {
            return [.. e.Errors];
        }
    }

    [Fact]
    public void PiiRuleWithRegion_PersonalData_ChainStaysInTheRegion_OtherRequestsUseTheFullChain()
    {
        var policy = GatewaySnapshot.Build(ConfigLoader.Parse(Base + """

              - name: r
                deployment: us-gpt
                fallbacks: [us-claude, eu-llama]
                rules:
                  - { name: pii, when: { pii: [email] }, region: eu }
            """), null).Routes.Values.Single().Policy;

        var personal = policy.Decide(Request("write to anna.schmidt@example.de please"));
        var plain = policy.Decide(Request("what is the capital of France?"));

        // The route's choice (us-gpt) is not allowed: the first eu deployment by name serves, the chain keeps the
        // route's eu fallback and then the other eu deployment; no us deployment is ever tried.
        Assert.Equal(["eu-llama", "eu-mistral"], personal.Chain.Select(d => d.Name));
        Assert.True(personal.Restricted);
        Assert.Equal("rule pii: only eu-llama, eu-mistral; route r -> us-gpt not allowed -> eu-llama", personal.Reason);
        Assert.Equal(["us-gpt", "us-claude", "eu-llama"], plain.Chain.Select(d => d.Name));
    }

    [Fact]
    public void RouteRegion_EveryDeploymentInIt_Loads_OneOutside_IsAnErrorNamingIt()
    {
        Assert.Empty(Errors("  - { name: r, region: eu, deployment: eu-llama, fallbacks: [eu-mistral] }"));

        var errors = Errors("""
              - name: r
                region: eu
                deployment: eu-llama
                fallbacks: [eu-mistral, us-claude, untagged]
                migration: { to: us-gpt }
            """);

        Assert.Equal(
        [
            "routes[0].fallbacks[1]: deployment 'us-claude' is in region 'us', outside the route's region 'eu'",
            "routes[0].fallbacks[2]: deployment 'untagged' is in no region, outside the route's region 'eu'",
            "routes[0].migration.to: deployment 'us-gpt' is in region 'us', outside the route's region 'eu'",
        ], errors);
    }

    [Fact]
    public void RuleRegion_ImpossibleSetups_AreErrors()
    {
        var errors = Errors("""
              - name: r
                deployment: us-gpt
                rules:
                  - { name: a, when: { pii: [email] }, region: ap }
                  - { name: b, when: { pii: [email] }, region: eu, deployment: us-claude }
                  - { name: c, when: { pii: [email] }, region: eu, only: [us-gpt, untagged] }
            """);

        Assert.Equal(
        [
            "routes[0].rules[0].region: no deployment is in region 'ap'",
            "routes[0].rules[1].deployment: deployment 'us-claude' is in region 'us', outside the rule's region 'eu'",
            "routes[0].rules[2].region: none of the rule's only deployments is in region 'eu'",
        ], errors);
    }
}
