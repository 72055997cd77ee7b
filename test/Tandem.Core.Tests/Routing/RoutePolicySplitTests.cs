using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Tandem.Configuration;
using Tandem.Routing;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Routing;

/// <summary>
/// Weighted splits: which bucket a user falls in (XxHash64 of <c>route + "\0" + key</c> modulo 10,000, worked out
/// here from that formula), where each arm's buckets end, what the sticky key is, and that two routes split the same
/// users independently.
/// </summary>
public sealed class RoutePolicySplitTests
{
    private const string Base = """
        auth: { disabled: true }
        providers:
          - { name: p, base_url: "http://127.0.0.1:1/v1" }
        deployments:
          - { name: a, provider: p, model: ma }
          - { name: b, provider: p, model: mb }
          - { name: c, provider: p, model: mc }
          - { name: f, provider: p, model: mf }
        routes:
        """;

    private static GatewaySnapshot Snapshot(string routes, RandomSource? random = null) =>
        GatewaySnapshot.Build(ConfigLoader.Parse(Base + "\n" + routes), null, random is null ? null : new RuntimeServices { Random = random });

    private static RoutePolicy Policy(string routes, string name = "r", RandomSource? random = null) => Snapshot(routes, random).Routes[name].Policy;

    private static int Bucket(string route, string key) =>
        (int)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(route + "\u0000" + key)) % 10_000);

    private static string KeyWhere(string route, Func<int, bool> wanted) =>
        Enumerable.Range(0, 1_000_000).Select(i => "u" + i.ToString(CultureInfo.InvariantCulture)).First(u => wanted(Bucket(route, u)));

    private static RequestView Request(string? user = null, string extra = "", IReadOnlyDictionary<string, string>? headers = null) =>
        RequestView.For("{\"model\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" + (user is null ? "" : ",\"user\":\"" + user + "\"") + extra + "}", headers: headers);

    private sealed class Draws(params double[] values) : RandomSource
    {
        private int _next;

        public override double NextDouble() => values[_next++ % values.Length];
    }

    [Theory]
    // Weights 70 / 20 / 10 → cumulative 0.7, 0.9, 1.0 of 10,000 buckets: a takes 0…6,999, b 7,000…8,999, c 9,000…9,999.
    [InlineData(0, "a")]
    [InlineData(6999, "a")]
    [InlineData(7000, "b")]
    [InlineData(8999, "b")]
    [InlineData(9000, "c")]
    [InlineData(9999, "c")]
    public void Split_ArmBoundsFollowTheCumulativeWeights(int bucket, string arm)
    {
        var policy = Policy("""
              - name: r
                split: [ { deployment: a, weight: 70 }, { deployment: b, weight: 20 }, { deployment: c, weight: 10 } ]
                fallbacks: [f]
            """);
        var user = KeyWhere("r", b => b == bucket);

        var plan = policy.Decide(Request(user));

        Assert.Equal([arm, "f"], plan.Chain.Select(d => d.Name));
        Assert.Equal($"split arm {arm} (bucket {bucket})", plan.Reason);
    }

    [Fact]
    public void Split_ZeroWeightArm_IsNeverChosen_AndRoundingNeverLeavesABucketUncovered()
    {
        // Weights 1 / 0 / 2: a takes round(1/3 × 10,000) = 3,333 buckets (0…3,332), b none, c the rest up to 9,999.
        var policy = Policy("""
              - name: r
                split: [ { deployment: a, weight: 1 }, { deployment: b, weight: 0 }, { deployment: c, weight: 2 } ]
            """);

        Assert.Equal("a", policy.Decide(Request(KeyWhere("r", b => b == 3332))).Chain[0].Name);
        Assert.Equal("c", policy.Decide(Request(KeyWhere("r", b => b == 3333))).Chain[0].Name);
        Assert.Equal("c", policy.Decide(Request(KeyWhere("r", b => b == 9999))).Chain[0].Name);
        Assert.DoesNotContain(policy.AllDeployments, d => d.Name == "b");
        Assert.Equal("c", policy.Incumbent.Name); // the heaviest arm
    }

    [Fact]
    public void Split_TwoRoutes_SplitTheSameUsersIndependently()
    {
        // Two routes with the same 50 / 50 split. Were the route not part of the hash, every user would get the same
        // arm on both. Independent halves agree for about half the users: for 4,000 fixed users the share must lie
        // within 4.5 standard deviations of 0.5 (σ = sqrt(0.25 / 4,000) = 0.0079, so 0.464…0.536).
        var snapshot = Snapshot("""
              - name: r1
                split: [ { deployment: a, weight: 1 }, { deployment: b, weight: 1 } ]
              - name: r2
                split: [ { deployment: a, weight: 1 }, { deployment: b, weight: 1 } ]
            """);
        var r1 = snapshot.Routes["r1"].Policy;
        var r2 = snapshot.Routes["r2"].Policy;
        const int users = 4000;

        var same = 0;
        for (var i = 0; i < users; i++)
        {
            var request = Request("user-" + i.ToString(CultureInfo.InvariantCulture));
            same += r1.Decide(request).Chain[0] == r2.Decide(request).Chain[0] ? 1 : 0;
        }

        Assert.InRange(same / (double)users, 0.464, 0.536);

        // And each route's bucket is the documented one for its own name.
        var probe = Request("user-7");
        Assert.Contains($"(bucket {Bucket("r1", "user-7")})", r1.Decide(probe).Reason, StringComparison.Ordinal);
        Assert.Contains($"(bucket {Bucket("r2", "user-7")})", r2.Decide(probe).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_StickyHeader_AndStickyMetadata_AreTheKey()
    {
        var snapshot = Snapshot("""
              - name: h
                split: [ { deployment: a, weight: 1 }, { deployment: b, weight: 1 } ]
                sticky: header:x-team
              - name: m
                split: [ { deployment: a, weight: 1 }, { deployment: b, weight: 1 } ]
                sticky: metadata:tenant
            """, new Draws(0.99));

        var byHeader = snapshot.Routes["h"].Policy.Decide(Request("ignored-user", headers: new Dictionary<string, string> { ["x-team"] = "blue" }));
        var byMetadata = snapshot.Routes["m"].Policy.Decide(Request("ignored-user", extra: ",\"metadata\":{\"tenant\":\"acme\"}"));

        Assert.EndsWith($"(bucket {Bucket("h", "blue")})", byHeader.Reason, StringComparison.Ordinal);
        Assert.EndsWith($"(bucket {Bucket("m", "acme")})", byMetadata.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0, 0, "a")]
    [InlineData(0.4999, 4999, "a")]
    [InlineData(0.5, 5000, "b")]
    public void Split_NoStickyKey_DrawsTheBucket(double draw, int bucket, string arm)
    {
        // sticky: user, but the request has no user; and a metadata key the request does not carry.
        var snapshot = Snapshot("""
              - name: r
                split: [ { deployment: a, weight: 1 }, { deployment: b, weight: 1 } ]
              - name: m
                split: [ { deployment: a, weight: 1 }, { deployment: b, weight: 1 } ]
                sticky: metadata:tenant
              - name: x
                split: [ { deployment: a, weight: 1 }, { deployment: b, weight: 1 } ]
                sticky: none
            """, new Draws(draw));

        foreach (var route in new[] { "r", "m", "x" })
        {
            // Route x (sticky: none) ignores a user and metadata it could have used.
            var plan = snapshot.Routes[route].Policy.Decide(route == "x" ? Request("someone", ",\"metadata\":{\"tenant\":\"acme\"}") : Request());
            Assert.Equal($"split arm {arm} (bucket {bucket}, unsticky)", plan.Reason);
        }
    }

    [Fact]
    public void Rule_OnlyList_ReplacesASplitArmItDoesNotAllow()
    {
        var policy = Policy("""
              - name: r
                split: [ { deployment: a, weight: 1 }, { deployment: b, weight: 1 } ]
                fallbacks: [f]
                rules:
                  - { name: gold, when: { metadata: { tier: gold } }, only: [b, c] }
            """);
        var userOnA = KeyWhere("r", b => b < 5000);

        var plan = policy.Decide(Request(userOnA, ",\"metadata\":{\"tier\":\"gold\"}"));

        Assert.Equal(["b", "c"], plan.Chain.Select(d => d.Name)); // f is not in the only list
        Assert.Equal($"rule gold: only b, c; split arm a (bucket {Bucket("r", userOnA)}) not allowed -> b", plan.Reason);
        Assert.True(plan.Restricted);
        Assert.False(policy.Decide(Request(userOnA)).Restricted);
    }

    [Fact]
    public void Rule_HeaderWildcardAndExactValue()
    {
        var policy = Policy("""
              - name: r
                deployment: a
                rules:
                  - { name: any-team, when: { headers: { x-team: "*" } }, deployment: b }
                  - { name: batch, when: { headers: { x-mode: batch } }, deployment: c }
            """);

        Assert.Equal("b", policy.Decide(Request(headers: new Dictionary<string, string> { ["x-team"] = "whatever" })).Chain[0].Name);
        Assert.Equal("c", policy.Decide(Request(headers: new Dictionary<string, string> { ["x-mode"] = "batch" })).Chain[0].Name);
        Assert.Equal("a", policy.Decide(Request(headers: new Dictionary<string, string> { ["x-mode"] = "Batch" })).Chain[0].Name);
        Assert.Equal("a", policy.Decide(Request()).Chain[0].Name);
    }

    [Theory]
    [InlineData(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]", "tools", true)]
    [InlineData("", "tools", false)]
    [InlineData(",\"stream\":true", "stream", true)]
    [InlineData(",\"stream\":false", "stream", false)]
    [InlineData(",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"s\",\"schema\":{}}}", "json", true)]
    [InlineData(",\"response_format\":{\"type\":\"text\"}", "json", false)]
    public void Rule_Features(string extra, string feature, bool matches)
    {
        var policy = Policy($$"""
              - name: r
                deployment: a
                rules:
                  - { name: feat, when: { features: [{{feature}}] }, deployment: b }
            """);

        Assert.Equal(matches ? "b" : "a", policy.Decide(Request(extra: extra)).Chain[0].Name);
    }

    [Fact]
    public void Rule_MinPromptTokens_BoundMatches()
    {
        var policy = Policy("""
              - name: r
                deployment: a
                rules:
                  - { name: long, when: { min_prompt_tokens: 50 }, deployment: b }
            """);
        var shortRequest = Request();
        var tokens = shortRequest.EstimatedPromptTokens;
        var at = Policy($$"""
              - name: r
                deployment: a
                rules:
                  - { name: long, when: { min_prompt_tokens: {{tokens}} }, deployment: b }
            """);
        var above = Policy($$"""
              - name: r
                deployment: a
                rules:
                  - { name: long, when: { min_prompt_tokens: {{tokens + 1}} }, deployment: b }
            """);

        Assert.Equal("a", policy.Decide(shortRequest).Chain[0].Name);
        Assert.Equal("b", at.Decide(shortRequest).Chain[0].Name);
        Assert.Equal("a", above.Decide(shortRequest).Chain[0].Name);
    }

    [Theory]
    [InlineData("r", "u1")]
    [InlineData("route-é", "ユーザー")] // multi-byte UTF-8 on both sides of the NUL
    [InlineData("r", "\ud800lone")] // a lone surrogate is encoded as U+FFFD, as Encoding.UTF8.GetBytes(string) does
    [InlineData("r", "")]
    public void StickyHash_IsXxHash64OfRouteNulKey(string route, string key) =>
        Assert.Equal(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(route + "\u0000" + key)), RoutePolicy.Hash(route, key));

    [Fact]
    public void StickyHash_OfAKeyLongerThanTheStackBuffer_IsTheSame()
    {
        // 600 three-byte characters: 1,800 bytes, past the 512 bytes hashed on the stack.
        var key = new string('€', 600);
        Assert.Equal(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes("r\u0000" + key)), RoutePolicy.Hash("r", key));
        Assert.Equal(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes("r\u0000" + key)), RoutePolicy.Hash("r", key)); // a returned buffer reused
    }
}
