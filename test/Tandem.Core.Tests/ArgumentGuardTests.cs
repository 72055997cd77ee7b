using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Configuration;
using Tandem.Core.Tests.Migration;
using Tandem.Costs;
using Tandem.Migration;
using Tandem.Routing;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests;

/// <summary>
/// A missing argument to a decision's public entry point is named in an <see cref="ArgumentNullException"/> at once,
/// not a <see cref="NullReferenceException"/> somewhere inside; and the defaults records are stored with.
/// </summary>
public sealed class ArgumentGuardTests
{
    private static readonly GatewaySnapshot Snapshot = GatewaySnapshot.Build(ConfigLoader.Parse("""
        auth: { disabled: true }
        providers: [ { name: p, base_url: "http://127.0.0.1:9/v1" } ]
        deployments: [ { name: a, provider: p, model: m }, { name: b, provider: p, model: m } ]
        routes: [ { name: r, deployment: a } ]
        """), null);

    private static RequestView Request => RequestView.For("""{"model":"r","messages":[{"role":"user","content":"hi"}]}""");

    public static TheoryData<string, Action> Guards => new()
    {
        { "gates", () => GateEvaluator.Evaluate(null!, [], TimeSpan.Zero) },
        { "samples", () => GateEvaluator.Evaluate(new GatesConfig(), null!, TimeSpan.Zero) },
        { "values", () => Statistics.Percentile(null!, 0.5) },
        { "config", () => _ = new AnswerComparer(null!) },
        { "incumbent", () => new AnswerComparer(new CompareConfig()).Compare(null!, "x") },
        { "candidate", () => new AnswerComparer(new CompareConfig()).Compare("x", null!) },
        { "answer", () => new AnswerComparer(new CompareConfig()).Label(null!) },
        { "text", () => AnswerComparer.Normalize(null!) },
        { "fields", () => AnswerComparer.StructuredSimilarity("{}", "{}", null!) },
        { "canarySteps", () => new MigrationState { Route = "r", Incumbent = "a", Candidate = "b" }.Describe(null!) },
        { "report", () => MigrationEvaluation.OutcomeOf(null!) },
        { "report", () => MigrationEvaluation.Of("r", DateTimeOffset.UnixEpoch, "shadow", null!) },
        { "route", () => MigrationCoordinator.SettingsFor(null!, new MigrationState { Route = "r", Incumbent = "a", Candidate = "b" }) },
        { "state", () => MigrationCoordinator.SettingsFor(Snapshot.Routes["r"], null!) },
        { "state", () => Planner(state: false) },
        { "settings", () => Planner(settings: false) },
        { "route", () => Planner(route: false) },
        { "request", () => Planner(request: false) },
        { "plan", () => Planner(plan: false) },
        { "deployments", () => Planner(deployments: false) },
        { "random", () => Planner(random: false) },
        { "request", () => Snapshot.Routes["r"].Policy.Decide(null!) },
        { "request", () => new FeatureComplexityScorer().Score(null!) },
        { "deployment", () => DeploymentPrice.For(null!) },
        { "snapshot", () => new RecordFinisher().PriceOf(null!, "a") },
        { "record", () => new RecordFinisher().Finish(null!, new ResponseFacts(), null, null, null, Snapshot) },
        { "facts", () => new RecordFinisher().Finish(new Records.RequestRecord(), null!, null, null, null, Snapshot) },
        { "snapshot", () => new RecordFinisher().Finish(new Records.RequestRecord(), new ResponseFacts(), null, null, null, null!) },
        { "headers", () => RetryAfter.Read(null!, DateTimeOffset.UnixEpoch) },
        { "headers", () => RelayedHeaders.From(null!) },
        { "name", () => RelayedHeaders.RelayedName(null!) },
        { "facts", () => SseEvents.Inspect("data: x"u8, null!) },
    };

    private static void Planner(bool state = true, bool settings = true, bool route = true, bool request = true, bool plan = true, bool deployments = true, bool random = true)
    {
        var r = Snapshot.Routes["r"];
        var view = Request;
        MigrationPlanner.Apply(
            state ? new MigrationState { Route = "r", Incumbent = "a", Candidate = "b" } : null!,
            settings ? new MigrationConfig { To = "b" } : null!,
            route ? r : null!,
            request ? view : null!,
            plan ? r.Policy.Decide(view) : null!,
            deployments ? Snapshot.Deployments : null!,
            random ? RandomSource.Seeded(1) : null!);
    }

    [Theory]
    [MemberData(nameof(Guards))]
    public void PublicEntryPoints_NameTheMissingArgument(string parameter, Action call) =>
        Assert.Throws<ArgumentNullException>(parameter, call);

    [Fact]
    public async Task AsyncEntryPoints_NameTheMissingArgument()
    {
        var fake = new Upstream.FakeUpstream();
        var snapshot = fake.Build("""
            auth: { disabled: true }
            providers: [ { name: p, base_url: "http://a.invalid/v1" } ]
            deployments: [ { name: d, provider: p, model: m } ]
            """);
        var plan = new RoutePlan([snapshot.Deployments["d"]], "x");
        await using var coordinator = new MigrationCoordinator(new MemoryMigrationStore(), () => Snapshot, NullLogger.Instance, workers: 1);

        await Assert.ThrowsAsync<ArgumentNullException>("plan", async () => await FallbackChain.ServeAsync(null!, Upstream.FakeUpstream.Chat(), NullLogger.Instance, Ct));
        await Assert.ThrowsAsync<ArgumentNullException>("request", async () => await FallbackChain.ServeAsync(plan, null!, NullLogger.Instance, Ct));
        await Assert.ThrowsAsync<ArgumentNullException>("logger", async () => await FallbackChain.ServeAsync(plan, Upstream.FakeUpstream.Chat(), null!, Ct));
        await Assert.ThrowsAsync<ArgumentNullException>("request", async () => await snapshot.Deployments["d"].Invoker.SendAsync(null!, Ct));
        await Assert.ThrowsAsync<ArgumentNullException>("request", () => snapshot.Deployments["d"].Invoker.CompleteAsync(null!, Ct));
        await Assert.ThrowsAsync<ArgumentNullException>("state", () => coordinator.ReportAsync(null!, new MigrationConfig(), Ct));
        await Assert.ThrowsAsync<ArgumentNullException>("settings", () => coordinator.ReportAsync(new MigrationState { Route = "r", Incumbent = "a", Candidate = "b" }, null!, Ct));
        Assert.Throws<ArgumentNullException>("route", () => coordinator.Apply(null!, Request, Snapshot.Routes["r"].Policy.Decide(Request)));
    }

    [Fact]
    public void StoredRecords_Defaults()
    {
        var e = new MigrationEvent { Route = "r", Kind = MigrationEventKinds.Advance };
        var evaluation = new MigrationEvaluation { Route = "r", Stage = "shadow", Outcome = "pass" };
        var sample = new ShadowSample { Route = "r", RequestId = "q" };
        var entry = new PriceTableEntry();

        Assert.Equal(("auto", "{}"), (e.Trigger, e.Evidence));
        Assert.Equal((1, "{}"), (evaluation.Count, evaluation.Evidence));
        Assert.Equal(("", "incumbent"), (sample.Stage, sample.ServedBy));
        Assert.Equal(("", "", "", ""), (entry.Model, entry.Provider, entry.AsOf, entry.Source));
        Assert.Equal(("start", "advance", "rollback", "pin", "drift"),
            (MigrationEventKinds.Start, MigrationEventKinds.Advance, MigrationEventKinds.Rollback, MigrationEventKinds.Pin, MigrationEventKinds.Drift));
    }

    [Fact]
    public void DeploymentPrice_FromConfiguration_IsSourcedAsConfig_AndFixedMonthlyWinsOverItsBreakdown()
    {
        var price = DeploymentPrice.For(new DeploymentConfig
        {
            Name = "d",
            Model = "gpt-4o",
            Pricing = new PricingConfig { FixedMonthly = 100m, FixedMonthlyBreakdown = new Dictionary<string, decimal> { ["gpu"] = 60m } },
        });

        Assert.Equal(("config", (string?)null, 100m), (price.Source, price.AsOf, price.FixedMonthly));
    }

    [Theory]
    [InlineData("/gpt-4o", "gpt-4o")] // an empty provider prefix
    [InlineData("gpt-4o@2024-08-06", "gpt-4o")] // '@' and ':' are version separators too
    [InlineData("gpt-4o:latest", "gpt-4o")]
    public void PriceTable_Find_ProviderPrefixAndVersionSeparators(string model, string entry) =>
        Assert.Equal(entry, PriceTable.Find(model)?.Model);

    [Fact]
    public void PriceTable_Find_Null_IsNoEntry() => Assert.Null(PriceTable.Find(null));

    [Fact]
    public void RelayedHeaders_NothingToRelay_IsEmpty()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.TryAddWithoutValidation("server", "x");

        Assert.Empty(RelayedHeaders.From(response.Headers));
        Assert.Equal("x-upstream-request-id", RelayedHeaders.RelayedName("X-Request-ID"));
        Assert.Equal("Retry-After-Ms", RelayedHeaders.RelayedName("Retry-After-Ms"));
        Assert.Equal("OpenAI-Processing-Ms", RelayedHeaders.RelayedName("OpenAI-Processing-Ms"));
        Assert.Equal("X-RateLimit-Limit-Tokens", RelayedHeaders.RelayedName("X-RateLimit-Limit-Tokens"));
        Assert.Null(RelayedHeaders.RelayedName("x-ratelimit"));
        Assert.Null(RelayedHeaders.RelayedName("set-cookie"));
    }
}
