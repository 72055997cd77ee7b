using Tandem.Configuration;
using Tandem.Eval.Running;
using Tandem.Eval.Suites;
using Tandem.Quality;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Eval.Tests.Running;

/// <summary>
/// Every usage error of <c>tandem eval</c> the runner finds before any call (asserted whole, in the order they are
/// checked), the argument guards, and that a suite mixing generation with other cases still needs a judge.
/// </summary>
public sealed class EvalRunnerValidationTests
{
    private static readonly GatewaySnapshot Snapshot = GatewaySnapshot.Build(ConfigLoader.Parse("""
        auth: { disabled: true }
        providers: [ { name: p, base_url: "http://127.0.0.1:1/v1" } ]
        deployments:
          - { name: a, provider: p, model: ma }
          - { name: b, provider: p, model: mb }
        routes:
          - { name: r, deployment: a }
        """), null);

    private static EvalCase Case(string id, CaseKind kind) => new()
    {
        Id = id,
        Messages = [new ChatTurn("user", id)],
        Kind = kind,
        Label = kind == CaseKind.Classification ? "x" : null,
        Reference = kind == CaseKind.Generation ? "ref" : null,
    };

    private static readonly EvalSuite Classification = new() { Name = "s", Cases = [Case("1", CaseKind.Classification)], Fingerprint = "f" };

    private static readonly EvalSuite Mixed = new() { Name = "s", Cases = [Case("1", CaseKind.Classification), Case("2", CaseKind.Generation)], Fingerprint = "f" };

    private static EvalRunOptions Options(params string[] deployments) => new() { Deployments = deployments, OutputDirectory = "unused" };

    private static string Refusal(EvalRunOptions options, EvalSuite? suite = null) =>
        Assert.Throws<EvalUsageException>(() => new EvalRunner(Snapshot, options).Validate(suite ?? Classification)).Message;

    [Fact]
    public void Validate_EachUsageError_HasItsMessage()
    {
        Assert.Equal("--deployments: name at least one deployment", Refusal(Options()));
        Assert.Equal("--deployments: unknown deployment 'z' (configured: a, b)", Refusal(Options("a", "z")));
        Assert.Equal("--deployments: a deployment is named twice", Refusal(Options("a", "a")));
        Assert.Equal("--baseline: 'b' must be one of --deployments", Refusal(Options("a") with { Baseline = "b" }));
        Assert.Equal("--judge: unknown deployment 'z'", Refusal(Options("a") with { Judge = "z" }));
        Assert.Equal("the suite has generation cases (reference or rubric): pass --judge DEPLOYMENT", Refusal(Options("a"), Mixed));
        Assert.Equal("--pairwise needs --judge and --baseline", Refusal(Options("a", "b") with { Pairwise = true, Judge = "b" }));
        Assert.Equal("--pairwise needs --judge and --baseline", Refusal(Options("a", "b") with { Pairwise = true, Baseline = "a" }));
        Assert.Equal("--concurrency: must be positive", Refusal(Options("a") with { Concurrency = 0 }));
    }

    [Fact]
    public void Validate_CompleteOptions_PassAndAJudgeMayBeAnyDeployment()
    {
        new EvalRunner(Snapshot, Options("a", "b") with { Baseline = "a", Judge = "b", Pairwise = true, Concurrency = 1 }).Validate(Mixed);
        new EvalRunner(Snapshot, Options("a")).Validate(Classification);
    }

    [Fact]
    public void Guards_NameTheirArgument()
    {
        Assert.Equal("snapshot", Assert.Throws<ArgumentNullException>(() => new EvalRunner(null!, Options("a"))).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => new EvalRunner(Snapshot, null!)).ParamName);
        Assert.Equal("suite", Assert.Throws<ArgumentNullException>(() => new EvalRunner(Snapshot, Options("a")).Validate(null!)).ParamName);
    }
}
