using Tandem.Configuration;
using Tandem.Routing;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Routing;

public sealed class RoutePolicyTests
{
    private const string Base = """
        auth: { disabled: true }
        providers:
          - { name: cloud, base_url: "http://127.0.0.1:1/v1" }
          - { name: onprem, base_url: "http://127.0.0.1:2/v1" }
        deployments:
          - { name: gpt-4o, provider: cloud, model: gpt-4o, context_window: 128000 }
          - { name: gpt-4o-mini, provider: cloud, model: gpt-4o-mini, context_window: 128000 }
          - { name: llama-70b, provider: onprem, model: llama-70b, context_window: 32000 }
          - { name: llama-8b, provider: onprem, model: llama-8b, context_window: 8000 }
        routes:
        """;

    private static RoutePolicy Policy(string route)
    {
        var snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Base + "\n" + route), null);
        return snapshot.Routes.Values.Single().Policy;
    }

    private static string Body(string content, string? user = null, string extra = "") =>
        $$"""{"model":"r","messages":[{"role":"user","content":{{System.Text.Json.JsonSerializer.Serialize(content)}}}]{{(user is null ? "" : $",\"user\":\"{user}\"")}}{{extra}}}""";

    [Fact]
    public void Split_StickyUser_NeverChangesArm_AndMatchesWeights()
    {
        var policy = Policy("""
              - name: r
                split:
                  - { deployment: gpt-4o-mini, weight: 90 }
                  - { deployment: llama-8b, weight: 10 }
                fallbacks: [gpt-4o]
            """);

        // One user, 1,000 requests: always the same arm.
        var first = policy.Decide(RequestView.For(Body("hi", "user-42"))).Chain[0];
        for (var i = 0; i < 1000; i++)
        {
            Assert.Same(first, policy.Decide(RequestView.For(Body("question " + i, "user-42"))).Chain[0]);
        }

        // 20,000 users: the share of the 10 % arm within 4.5 standard deviations of 0.10 (a bound that a correct
        // hash fails with probability below 1e-5; the users are fixed, so the outcome is deterministic anyway).
        const int users = 20_000;
        var small = 0;
        for (var u = 0; u < users; u++)
        {
            if (policy.Decide(RequestView.For(Body("hi", "u" + u))).Chain[0].Name == "llama-8b")
            {
                small++;
            }
        }

        var share = small / (double)users;
        var sigma = Math.Sqrt(0.1 * 0.9 / users);
        Assert.InRange(share, 0.1 - (4.5 * sigma), 0.1 + (4.5 * sigma));
    }

    [Fact]
    public void Split_Decision_NamesArmAndBucket_AndAppendsFallbacks()
    {
        var policy = Policy("""
              - name: r
                split: [ { deployment: gpt-4o-mini, weight: 1 }, { deployment: llama-8b, weight: 1 } ]
                sticky: header:x-user
                fallbacks: [gpt-4o]
            """);
        var plan = policy.Decide(RequestView.For(Body("hi"), headers: new Dictionary<string, string> { ["x-user"] = "alice" }));
        Assert.Matches(@"^split arm (gpt-4o-mini|llama-8b) \(bucket \d+\)$", plan.Reason);
        Assert.Equal("gpt-4o", plan.Chain[^1].Name);
        Assert.Equal(2, plan.Chain.Count);
    }

    [Fact]
    public void Rules_FirstMatchDecides_AndOnlyBoundsTheWholeChain()
    {
        var policy = Policy("""
              - name: r
                deployment: gpt-4o-mini
                fallbacks: [gpt-4o, llama-70b]
                rules:
                  - name: pii
                    when: { pii: [any] }
                    only: [llama-70b, llama-8b]
                  - name: vip
                    when: { metadata: { tier: gold } }
                    deployment: gpt-4o
                  - name: batch
                    when: { keys: [batch-key], features: [json] }
                    deployment: llama-8b
            """);

        var pii = policy.Decide(RequestView.For(Body("my card is 4111 1111 1111 1111", extra: ",\"metadata\":{\"tier\":\"gold\"}")));
        Assert.Equal(["llama-70b", "llama-8b"], pii.Chain.Select(d => d.Name));
        Assert.StartsWith("rule pii", pii.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("4111", pii.Reason, StringComparison.Ordinal);

        var vip = policy.Decide(RequestView.For(Body("hello", extra: ",\"metadata\":{\"tier\":\"gold\"}")));
        Assert.Equal(["gpt-4o", "llama-70b"], vip.Chain.Select(d => d.Name));
        Assert.Equal("rule vip -> gpt-4o", vip.Reason);

        var batch = policy.Decide(RequestView.For(Body("hello", extra: ",\"response_format\":{\"type\":\"json_object\"}"), keyName: "batch-key"));
        Assert.Equal("llama-8b", batch.Chain[0].Name);
        var notBatch = policy.Decide(RequestView.For(Body("hello"), keyName: "batch-key"));
        Assert.Equal("gpt-4o-mini", notBatch.Chain[0].Name);
        Assert.Equal("route r -> gpt-4o-mini", notBatch.Reason);
    }

    [Fact]
    public void ContextWindow_SkipsDeploymentsTooSmallForThePrompt()
    {
        var policy = Policy("""
              - name: r
                deployment: llama-8b
                fallbacks: [llama-70b, gpt-4o]
            """);
        Assert.Equal("llama-8b", policy.Decide(RequestView.For(Body("short"))).Chain[0].Name);

        var longPrompt = policy.Decide(RequestView.For(Body(new string('x', 4 * 20_000))));
        Assert.Equal(["llama-70b", "gpt-4o"], longPrompt.Chain.Select(d => d.Name));
        Assert.Contains("skipped llama-8b", longPrompt.Reason, StringComparison.Ordinal);

        var huge = policy.Decide(RequestView.For(Body(new string('x', 4 * 100_000))));
        Assert.Equal(["gpt-4o"], huge.Chain.Select(d => d.Name));
    }

    [Fact]
    public void Tiers_MapScoresToDeployments()
    {
        var policy = Policy("""
              - name: r
                tiers:
                  levels:
                    - { min: 0.5, deployment: gpt-4o }
                    - { min: 0.25, deployment: llama-70b }
                    - { min: 0, deployment: llama-8b }
            """);
        var simple = policy.Decide(RequestView.For(Body("what is my balance")));
        Assert.Equal("llama-8b", simple.Chain[0].Name);
        Assert.Matches(@"^tier score 0\.\d\d >= 0 -> llama-8b$", simple.Reason);

        var hard = string.Join(' ', Enumerable.Repeat("Explain step by step why the design trade-off matters, compare both architectures, evaluate the implications and justify the optimal choice.", 20));
        Assert.Equal("gpt-4o", policy.Decide(RequestView.For(Body(hard))).Chain[0].Name);
    }

    [Fact]
    public void FeatureScorer_IsMonotoneInLengthAndCues()
    {
        var scorer = new FeatureComplexityScorer();
        var shortScore = scorer.Score(RequestView.For(Body("hi")));
        var longScore = scorer.Score(RequestView.For(Body(string.Join(' ', Enumerable.Repeat("word", 800)))));
        var cueScore = scorer.Score(RequestView.For(Body(string.Join(' ', Enumerable.Repeat("word", 800)) + " explain why and compare")));
        Assert.InRange(shortScore, 0, 0.2);
        Assert.True(longScore > shortScore);
        Assert.True(cueScore > longScore);
        Assert.InRange(cueScore, 0, 1);
    }
}
