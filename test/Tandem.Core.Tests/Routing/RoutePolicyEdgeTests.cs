using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Configuration;
using Tandem.Core.Tests.Upstream;
using Tandem.Routing;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Routing;

/// <summary>
/// Route decisions the mutation run found unpinned: the precompiled plan of a plain route (no rules, no context
/// windows), every deployment a split, a rule and an only-list can choose, a context window exactly the prompt's size
/// beside a smaller one, a rule bound to API keys, that a route without a split draws nothing from the random source,
/// and a plan without deployments.
/// </summary>
public sealed class RoutePolicyEdgeTests
{
    private const string Base = """
        auth: { disabled: true }
        providers: [ { name: p, base_url: "http://127.0.0.1:1/v1" } ]
        deployments:
          - { name: a, provider: p, model: ma }
          - { name: b, provider: p, model: mb }
          - { name: c, provider: p, model: mc }
          - { name: d, provider: p, model: md }
          - { name: f, provider: p, model: mf }
          - { name: w50, provider: p, model: m, context_window: 50 }
          - { name: w100, provider: p, model: m, context_window: 100 }
        routes:
        """;

    private static GatewaySnapshot Snapshot(string route, RandomSource? random = null) =>
        GatewaySnapshot.Build(ConfigLoader.Parse(Base + "\n" + route), null, random is null ? null : new RuntimeServices { Random = random });

    private static RoutePolicy Policy(string route, RandomSource? random = null) => Snapshot(route, random).Routes.Values.Single().Policy;

    private static RequestView Request(string keyName = "test", int? maxTokens = null) =>
        RequestView.For("{\"model\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" + (maxTokens is int m ? ",\"max_tokens\":" + m : "") + "}", keyName);

    private static string[] Names(RoutePlan plan) => [.. plan.Chain.Select(d => d.Name)];

    /// <summary>Counts every draw; always 0.5.</summary>
    private sealed class CountingRandom : RandomSource
    {
        public int Draws { get; private set; }

        public override double NextDouble()
        {
            Draws++;
            return 0.5;
        }
    }

    [Fact]
    public void PlainRoute_FallbacksFollowWithoutTheDeploymentItself_AndTheReasonNamesIt()
    {
        // No rule and no context window anywhere: the one precompiled plan. The deployment listed again among its own
        // fallbacks is not repeated: a, then f.
        var policy = Policy("  - { name: r, deployment: a, fallbacks: [a, f] }");

        var plan = policy.Decide(Request());

        Assert.Equal(["a", "f"], Names(plan));
        Assert.Equal("route r -> a", plan.Reason);
        Assert.False(plan.Restricted);
    }

    [Fact]
    public void AllDeployments_NamesSplitArms_RuleDeployments_OnlyLists_AndFallbacks()
    {
        // Each deployment appears in exactly one place: a and b only as arms, c only as a rule's deployment (that rule
        // has no only-list), d only in an only-list, f only as a fallback.
        var policy = Policy("""
              - name: r
                split: [ { deployment: a, weight: 1 }, { deployment: b, weight: 1 } ]
                fallbacks: [f]
                rules:
                  - { name: x, when: { keys: [k1] }, deployment: c }
                  - { name: y, when: { keys: [k2] }, only: [d] }
            """);

        Assert.Equal(["a", "b", "c", "d", "f"], policy.AllDeployments.Select(d => d.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ContextWindow_ExactlyTheSize_IsKeptWhileASmallerOneIsSkipped()
    {
        // "hi" is 2 characters and one user turn: 2 / 4 + 4 × 1 = 4 estimated prompt tokens; max_tokens 96 makes 100.
        // w100 holds exactly 100 (kept, still first); w50 does not (skipped); a has no window (never skipped).
        var policy = Policy("  - { name: r, deployment: w100, fallbacks: [w50, a] }");

        var plan = policy.Decide(Request(maxTokens: 96));

        Assert.Equal(["w100", "a"], Names(plan));
        Assert.Equal("route r -> w100; context ~100 tokens: skipped w50", plan.Reason);
    }

    [Fact]
    public void Rule_Keys_MatchOnlyTheListedKeys()
    {
        var policy = Policy("""
              - name: r
                deployment: a
                rules: [ { name: gold, when: { keys: [gold] }, deployment: c } ]
            """);

        var gold = policy.Decide(Request("gold"));
        var other = policy.Decide(Request("silver"));

        Assert.Equal(["c"], Names(gold));
        Assert.Equal("rule gold -> c", gold.Reason);
        Assert.Equal(["a"], Names(other));
        Assert.Equal("route r -> a", other.Reason);
    }

    [Fact]
    public void RouteWithoutASplit_DrawsNothingFromTheRandomSource()
    {
        // The random source is shared with migration sampling and replica choice: a decision that needs no draw
        // must not take one (it would shift every seeded sequence after it). A rule keeps the plan from being precompiled.
        var random = new CountingRandom();
        var policy = Policy("""
              - name: r
                deployment: a
                rules: [ { name: gold, when: { keys: [gold] }, deployment: c } ]
            """, random);

        var plan = policy.Decide(Request());

        Assert.Equal(["a"], Names(plan));
        Assert.Equal(0, random.Draws);
    }

    [Fact]
    public async Task FallbackChain_PlanWithoutDeployments_IsRefused()
    {
        var request = FakeUpstream.Chat();

        var e = await Assert.ThrowsAsync<ArgumentException>(async () => await FallbackChain.ServeAsync(new RoutePlan([], "empty"), request, NullLogger.Instance, Ct));

        Assert.Equal("plan", e.ParamName);
        Assert.Equal("a plan has at least one deployment (Parameter 'plan')", e.Message);
    }
}
