using System.Text.Json;
using Tandem.Configuration;
using Tandem.Routing;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Routing;

/// <summary>
/// The chain a route hands to the fallback loop: fallbacks after the chosen deployment without repeats, deployments
/// whose context window cannot hold the prompt and its max_tokens skipped (the largest kept when none fits), tier
/// bounds, and the reason line that explains it.
/// </summary>
public sealed class RoutePolicyChainTests
{
    private const string Base = """
        auth: { disabled: true }
        providers: [ { name: p, base_url: "http://127.0.0.1:1/v1" } ]
        deployments:
          - { name: open, provider: p, model: m }
          - { name: w100, provider: p, model: m, context_window: 100 }
          - { name: w200, provider: p, model: m, context_window: 200 }
          - { name: w300, provider: p, model: m, context_window: 300 }
        routes:
        """;

    private static RoutePolicy Policy(string route) => GatewaySnapshot.Build(ConfigLoader.Parse(Base + "\n" + route), null).Routes.Values.Single().Policy;

    private static RequestView Request(string content = "hi", int? maxTokens = null) =>
        RequestView.For("{\"model\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":" + JsonSerializer.Serialize(content) + "}]"
            + (maxTokens is int m ? ",\"max_tokens\":" + m : "") + "}");

    private static string[] Names(RoutePlan plan) => [.. plan.Chain.Select(d => d.Name)];

    [Fact]
    public void Single_FallbacksFollow_WithoutRepeatingTheDeployment()
    {
        var policy = Policy("  - { name: r, deployment: open, fallbacks: [open, w300] }");

        var plan = policy.Decide(Request());

        Assert.Equal(["open", "w300"], Names(plan));
        Assert.Equal("route r -> open", plan.Reason);
        Assert.False(plan.Restricted);
    }

    [Fact]
    public void ContextWindow_AFallbackTooSmall_IsSkippedEvenWhenTheDeploymentHasNoWindow()
    {
        // open has no window (unknown: never skipped); w100 cannot hold ~300 tokens.
        var policy = Policy("  - { name: r, deployment: open, fallbacks: [w100] }");
        var request = Request(new string('x', 1200));

        var plan = policy.Decide(request);

        Assert.Equal(["open"], Names(plan));
        Assert.Equal($"route r -> open; context ~{request.EstimatedPromptTokens} tokens: skipped w100", plan.Reason);
    }

    [Fact]
    public void ContextWindow_CountsMaxTokens_AndAWindowExactlyTheSizeFits()
    {
        var policy = Policy("  - { name: r, deployment: w100, fallbacks: [w200] }");
        var prompt = Request().EstimatedPromptTokens;

        // prompt + max_tokens = 100 exactly: w100 holds it. One more token: it does not.
        var fits = policy.Decide(Request(maxTokens: 100 - prompt));
        var over = policy.Decide(Request(maxTokens: 101 - prompt));

        Assert.Equal(["w100", "w200"], Names(fits));
        Assert.Equal("route r -> w100", fits.Reason);
        Assert.Equal(["w200"], Names(over));
        Assert.Equal("route r -> w100; context ~101 tokens: skipped w100", over.Reason);
    }

    [Fact]
    public void ContextWindow_NothingFits_TheLargestIsKept()
    {
        var policy = Policy("  - { name: r, deployment: w100, fallbacks: [w300, w200] }");
        var request = Request(maxTokens: 1000);
        var tokens = request.EstimatedPromptTokens + 1000;

        var plan = policy.Decide(request);

        // w300 is kept although it is too small too: the reason names the ones dropped.
        Assert.Equal(["w300"], Names(plan));
        Assert.Equal($"route r -> w100; context ~{tokens} tokens: skipped w100, w200", plan.Reason);
    }

    [Fact]
    public void Rule_OnlyListThatAllowsTheChoice_KeepsItAndExplainsBoth()
    {
        var policy = Policy("""
              - name: r
                deployment: w300
                rules:
                  - { name: big, when: { metadata: { size: "*" } }, only: [w300, w200] }
                  - { name: gold, when: { metadata: { tier: gold } }, deployment: w200 }
            """);

        var plan = policy.Decide(RequestView.For("""{"model":"r","messages":[{"role":"user","content":"hi"}],"metadata":{"size":"l"}}"""));
        var gold = policy.Decide(RequestView.For("""{"model":"r","messages":[{"role":"user","content":"hi"}],"metadata":{"tier":"gold"}}"""));
        var silver = policy.Decide(RequestView.For("""{"model":"r","messages":[{"role":"user","content":"hi"}],"metadata":{"tier":"silver"}}"""));

        Assert.Equal(["w300", "w200"], Names(plan));
        Assert.Equal("rule big: only w300, w200; route r -> w300", plan.Reason);
        Assert.Equal(("w200", "rule gold -> w200"), (gold.Chain[0].Name, gold.Reason));
        Assert.Equal(("w300", "route r -> w300"), (silver.Chain[0].Name, silver.Reason));
    }

    [Fact]
    public void AllDeployments_EveryOneThePolicyMayChoose_Once()
    {
        var split = Policy("""
              - name: r
                split: [ { deployment: w100, weight: 1 }, { deployment: w200, weight: 1 } ]
                fallbacks: [w300, w100]
                rules: [ { name: x, when: { keys: [k] }, deployment: open, only: [open, w200] } ]
            """);
        var tiers = Policy("""
              - name: r
                tiers: { levels: [ { min: 0, deployment: w100 }, { min: 0.5, deployment: w200 } ] }
            """);

        Assert.Equal(["open", "w100", "w200", "w300"], split.AllDeployments.Select(d => d.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["w100", "w200"], tiers.AllDeployments.Select(d => d.Name).Order(StringComparer.Ordinal));
        Assert.Equal("w200", tiers.Incumbent.Name); // the highest tier
    }

    [Fact]
    public void Tiers_ScoreExactlyAtATierMin_TakesThatTier()
    {
        // The upper tier's min is set to this request's score itself (the scorer is the input here, the comparison
        // is under test): at the bound the upper tier is taken.
        var request = Request("hello there");
        var score = new FeatureComplexityScorer().Score(request);
        var config = new RouteConfig { Name = "r", Tiers = new TiersConfig { Levels = [new TierConfig { Min = 0, Deployment = "w100" }, new TierConfig { Min = score, Deployment = "w200" }] } };
        var snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Base + "\n  - { name: other, deployment: open }"), null);

        var plan = new RoutePolicy(config, snapshot.Deployments).Decide(request);

        Assert.Equal("w200", plan.Chain[0].Name);
        Assert.StartsWith("tier score ", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Tiers_ScoreBelowEveryMin_TakesTheLowestTier()
    {
        // Validation requires a tier at min 0; a policy built without it still answers, from its lowest tier.
        var config = new RouteConfig { Name = "r", Tiers = new TiersConfig { Levels = [new TierConfig { Min = 0.9, Deployment = "w300" }, new TierConfig { Min = 0.333, Deployment = "w200" }] } };
        var snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Base + "\n  - { name: other, deployment: open }"), null);
        var policy = new RoutePolicy(config, snapshot.Deployments);
        var plan = policy.Decide(RequestView.For("""{"model":"r","messages":[]}"""));

        Assert.Equal("w200", plan.Chain[0].Name);
        Assert.Matches(@"^tier score 0\.\d\d -> w200$", plan.Reason);
        var hard = policy.Decide(Request("explain why and compare the trade-off"));
        Assert.Matches(@"^tier score 0\.\d\d >= 0\.33 -> w200$", hard.Reason); // min shown to two decimals
    }

    [Fact]
    public void Rule_MetadataWildcardNeedsTheKey_AndAnExactValueMatchesOnlyItself()
    {
        var policy = Policy("""
              - name: r
                deployment: open
                rules:
                  - { name: any-team, when: { metadata: { team: "*" } }, deployment: w100 }
                  - { name: red, when: { metadata: { colour: red } }, deployment: w200 }
            """);

        Assert.Equal("w100", policy.Decide(RequestView.For("""{"model":"r","messages":[],"metadata":{"team":"x"}}""")).Chain[0].Name);
        Assert.Equal("w200", policy.Decide(RequestView.For("""{"model":"r","messages":[],"metadata":{"colour":"red"}}""")).Chain[0].Name);
        Assert.Equal("open", policy.Decide(RequestView.For("""{"model":"r","messages":[],"metadata":{"colour":"blue"}}""")).Chain[0].Name);
        Assert.Equal("open", policy.Decide(RequestView.For("""{"model":"r","messages":[]}""")).Chain[0].Name);
    }

    [Fact]
    public void Rule_ImagesFeature()
    {
        var policy = Policy("""
              - name: r
                deployment: open
                rules: [ { name: vision, when: { features: [images] }, deployment: w300 } ]
            """);

        Assert.Equal("w300", policy.Decide(RequestView.For("""{"model":"r","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}""")).Chain[0].Name);
        Assert.Equal("open", policy.Decide(Request()).Chain[0].Name);
    }
}
