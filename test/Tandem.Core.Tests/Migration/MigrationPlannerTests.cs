using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Tandem.Configuration;
using Tandem.Migration;
using Tandem.Routing;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Migration;

/// <summary>
/// How one request's plan changes at each stage: who serves, who is the fallback, who is shadowed, and which canary
/// bucket a user falls in. Buckets are worked out in the test from the documented formula, XxHash64 of
/// <c>route + "\u0001migration" + "\u0000" + user</c> modulo 10,000, not read from the planner.
/// </summary>
public sealed class MigrationPlannerTests
{
    private const string Yaml = """
        auth: { disabled: true }
        providers:
          - { name: p, base_url: "http://127.0.0.1:1/v1" }
        deployments:
          - { name: old, provider: p, model: m-old }
          - { name: new, provider: p, model: m-new }
          - { name: spare, provider: p, model: m-spare }
        routes:
          - name: r
            deployment: old
            fallbacks: [spare]
            migration: { to: new, canary_steps: [5, 25, 50] }
          - name: r2
            deployment: old
            migration: { to: new, canary_steps: [5, 25, 50] }
        """;

    private static readonly GatewaySnapshot Snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Yaml), null);

    private static MigrationState State(MigrationStage stage, int step = 0, string route = "r") =>
        new() { Route = route, Incumbent = "old", Candidate = "new", Stage = stage, CanaryStep = step };

    private static MigrationConfig Settings(double shadowRate = 1.0) => new() { To = "new", CanarySteps = [5, 25, 50], ShadowRate = shadowRate };

    private static RequestView Request(string? user = null, IReadOnlyDictionary<string, string>? headers = null) =>
        RequestView.For("{\"model\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" + (user is null ? "" : ",\"user\":\"" + user + "\"") + "}", headers: headers);

    private static MigrationDecision Apply(MigrationState state, RequestView request, RandomSource? random = null, MigrationConfig? settings = null, string route = "r")
    {
        var r = Snapshot.Routes[route];
        return MigrationPlanner.Apply(state, settings ?? Settings(), r, request, r.Policy.Decide(request), Snapshot.Deployments, random ?? RandomSource.Seeded(7))!;
    }

    private static string[] Names(RoutePlan plan) => [.. plan.Chain.Select(d => d.Name)];

    /// <summary>The canary bucket of a user, from the documented formula.</summary>
    private static int Bucket(string route, string user) =>
        (int)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(route + "\u0001migration" + "\u0000" + user)) % 10_000);

    /// <summary>The first user id <c>u0</c>, <c>u1</c>… whose bucket satisfies <paramref name="wanted"/>.</summary>
    private static string UserWhere(Func<int, bool> wanted, string route = "r") =>
        Enumerable.Range(0, 1_000_000).Select(i => "u" + i.ToString(CultureInfo.InvariantCulture)).First(u => wanted(Bucket(route, u)));

    /// <summary>A random source that returns fixed draws, in order.</summary>
    private sealed class Draws(params double[] values) : RandomSource
    {
        private int _next;

        public override double NextDouble() => values[_next++ % values.Length];
    }

    [Fact]
    public void Shadow_IncumbentServes_CandidateShadowed_FallbacksKept()
    {
        var decision = Apply(State(MigrationStage.Shadow), Request("alice"));

        Assert.Equal(["old", "spare"], Names(decision.Plan));
        Assert.Equal("new", decision.Shadow!.Name);
        Assert.Equal((MigrationSides.Incumbent, "shadow"), (decision.Served, decision.Stage));
        Assert.Equal("route r -> old; migration shadow: new called beside", decision.Plan.Reason);
    }

    [Theory]
    [InlineData(0, 0)] // 5 % = buckets 0…499
    [InlineData(1, 2)] // 25 % = buckets 0…2,499
    [InlineData(2, 4)] // 50 % = buckets 0…4,999
    [InlineData(7, 4)] // a step past the list holds at the last step (50 %)
    public void Canary_StepPercent_IsABucketBound_BelowItServesCandidate(int step, int boundIndex)
    {
        // Bounds: 5 % of 10,000 = 500, 25 % = 2,500, 50 % = 5,000; the bucket just below goes to the candidate, the bound itself not.
        int[] bounds = [500, 500, 2500, 2500, 5000];
        var bound = bounds[boundIndex];
        var inside = UserWhere(b => b == bound - 1);
        var outside = UserWhere(b => b == bound);

        var toCandidate = Apply(State(MigrationStage.Canary, step), Request(inside));
        var toIncumbent = Apply(State(MigrationStage.Canary, step), Request(outside));

        var label = "canary " + (bound / 100).ToString(CultureInfo.InvariantCulture) + "%";
        Assert.Equal((MigrationSides.Candidate, label), (toCandidate.Served, toCandidate.Stage));
        Assert.Equal(["new", "old", "spare"], Names(toCandidate.Plan));
        Assert.Equal("old", toCandidate.Shadow!.Name);
        Assert.Equal($"route r -> old; migration {label} (bucket {bound - 1}) -> new", toCandidate.Plan.Reason);
        Assert.Equal(MigrationSides.Incumbent, toIncumbent.Served);
        Assert.Equal(["old", "spare"], Names(toIncumbent.Plan));
        Assert.Equal("new", toIncumbent.Shadow!.Name);
        Assert.Equal($"route r -> old; migration {label} (bucket {bound}) -> old", toIncumbent.Plan.Reason);
    }

    [Fact]
    public void Canary_UserStaysOnOneSide_WhateverTheRandomSourceSays()
    {
        var candidateUser = UserWhere(b => b < 500);
        var incumbentUser = UserWhere(b => b >= 500);
        var random = RandomSource.Seeded(99);

        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(MigrationSides.Candidate, Apply(State(MigrationStage.Canary), Request(candidateUser), random).Served);
            Assert.Equal(MigrationSides.Incumbent, Apply(State(MigrationStage.Canary), Request(incumbentUser), random).Served);
        }
    }

    [Fact]
    public void Canary_HeaderUser_StandsInForTheUserField()
    {
        var user = UserWhere(b => b < 500);

        var decision = Apply(State(MigrationStage.Canary), Request(headers: new Dictionary<string, string> { ["x-tandem-user"] = user }), new Draws(0.99));

        Assert.Equal(MigrationSides.Candidate, decision.Served);
        Assert.Contains($"(bucket {Bucket("r", user)})", decision.Plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Canary_UserField_WinsOverTheHeader()
    {
        var user = UserWhere(b => b < 500);
        var header = UserWhere(b => b >= 500);

        var decision = Apply(State(MigrationStage.Canary), Request(user, new Dictionary<string, string> { ["x-tandem-user"] = header }));

        Assert.Equal(MigrationSides.Candidate, decision.Served);
        Assert.Contains($"(bucket {Bucket("r", user)})", decision.Plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Canary_BucketsDependOnTheRoute()
    {
        // The same user can fall on different sides on two routes: the route is part of the hash.
        var user = UserWhere(b => b < 500);

        var onR2 = Apply(State(MigrationStage.Canary, route: "r2"), Request(user), route: "r2");

        Assert.Contains($"(bucket {Bucket("r2", user)})", onR2.Plan.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0, 0, true)] // draws: shadow sample (0.0 < 1), then bucket 0
    [InlineData(0.0499, 499, true)] // bucket floor(0.0499 × 10,000) = 499 < 500
    [InlineData(0.05, 500, false)] // bucket 500: not below 500
    public void Canary_WithoutUser_DrawsTheBucketFromTheRandomSource(double draw, int bucket, bool candidate)
    {
        var decision = Apply(State(MigrationStage.Canary), Request(), new Draws(draw), Settings(shadowRate: 1.0));

        Assert.Equal(candidate ? MigrationSides.Candidate : MigrationSides.Incumbent, decision.Served);
        Assert.EndsWith($"(bucket {bucket}) -> {(candidate ? "new" : "old")}", decision.Plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Cutover_CandidateServes_IncumbentFallsBackAndIsShadowed()
    {
        var decision = Apply(State(MigrationStage.Cutover), Request("alice"));

        Assert.Equal(["new", "old", "spare"], Names(decision.Plan));
        Assert.Equal("old", decision.Shadow!.Name);
        Assert.Equal((MigrationSides.Candidate, "cutover"), (decision.Served, decision.Stage));
        Assert.Equal("route r -> old; migration cutover -> new, fallback old", decision.Plan.Reason);
    }

    [Fact]
    public void Full_CandidatePinned_NoIncumbent_NoShadow()
    {
        var decision = Apply(State(MigrationStage.Full), Request("alice"));

        Assert.Equal(["new", "spare"], Names(decision.Plan));
        Assert.Null(decision.Shadow);
        Assert.Equal((MigrationSides.Candidate, "full"), (decision.Served, decision.Stage));
        Assert.Equal("route r -> old; migration full: pinned new", decision.Plan.Reason);
    }

    [Fact]
    public void RolledBack_IncumbentServes_NoShadow()
    {
        var decision = Apply(State(MigrationStage.RolledBack), Request("alice"));

        Assert.Equal(["old", "spare"], Names(decision.Plan));
        Assert.Null(decision.Shadow);
        Assert.Equal((MigrationSides.Incumbent, "rolled back"), (decision.Served, decision.Stage));
        Assert.Equal("route r -> old; migration rolled back", decision.Plan.Reason);
    }

    [Theory]
    [InlineData(MigrationStage.Shadow)]
    [InlineData(MigrationStage.Canary)]
    [InlineData(MigrationStage.Cutover)]
    public void ShadowRate_Sampled_ShadowsOnlyWhenTheDrawIsBelowTheRate(MigrationStage stage)
    {
        foreach (var user in new[] { UserWhere(b => b < 500), UserWhere(b => b >= 500) })
        {
            Sampled(stage, user);
        }
    }

    private static void Sampled(MigrationStage stage, string user)
    {

        // The first draw decides the shadow: 0.29 < 0.3 shadows, 0.3 does not.
        var shadowed = Apply(State(stage), Request(user), new Draws(0.29), Settings(shadowRate: 0.3));
        var skipped = Apply(State(stage), Request(user), new Draws(0.3), Settings(shadowRate: 0.3));

        Assert.NotNull(shadowed.Shadow);
        Assert.Null(skipped.Shadow);
        Assert.Null(Apply(State(stage), Request(user), new Draws(0.0), Settings(shadowRate: 0)).Shadow);
    }

    [Fact]
    public void RestrictedPlan_IsNeverOverridden()
    {
        var r = Snapshot.Routes["r"];
        var request = Request("alice");
        var restricted = new RoutePlan([Snapshot.Deployments["spare"]], "rule pii: only spare") { Restricted = true };

        Assert.Null(MigrationPlanner.Apply(State(MigrationStage.Cutover), Settings(), r, request, restricted, Snapshot.Deployments, RandomSource.Seeded(1)));
    }

    [Fact]
    public void UnknownDeployment_MigrationDoesNotApply()
    {
        var r = Snapshot.Routes["r"];
        var request = Request("alice");
        var gone = State(MigrationStage.Cutover) with { Candidate = "removed" };
        var goneIncumbent = State(MigrationStage.Cutover) with { Incumbent = "removed" };

        Assert.Null(MigrationPlanner.Apply(gone, Settings(), r, request, r.Policy.Decide(request), Snapshot.Deployments, RandomSource.Seeded(1)));
        Assert.Null(MigrationPlanner.Apply(goneIncumbent, Settings(), r, request, r.Policy.Decide(request), Snapshot.Deployments, RandomSource.Seeded(1)));
    }

    [Fact]
    public void Plan_NeverListsADeploymentTwice()
    {
        // The route's own plan already holds the incumbent and, as a fallback here, the candidate.
        var r = Snapshot.Routes["r"];
        var request = Request("alice");
        var plan = new RoutePlan([Snapshot.Deployments["old"], Snapshot.Deployments["new"], Snapshot.Deployments["spare"]], "x");

        var decision = MigrationPlanner.Apply(State(MigrationStage.Cutover), Settings(), r, request, plan, Snapshot.Deployments, RandomSource.Seeded(1))!;

        Assert.Equal(["new", "old", "spare"], Names(decision.Plan));
    }
}
