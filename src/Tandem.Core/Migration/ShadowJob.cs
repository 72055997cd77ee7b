using Tandem.Routing;
using Tandem.Runtime;
using Tandem.Wire;

namespace Tandem.Migration;

/// <summary>What a migration asks of one request: the adjusted plan, and the deployment to shadow (if sampled).</summary>
/// <param name="Plan">The plan to serve with.</param>
/// <param name="Shadow">The deployment to call beside the served one, or null.</param>
/// <param name="Served">Which side the plan serves with: <c>incumbent</c> or <c>candidate</c>.</param>
/// <param name="Stage">The stage label when the decision was made.</param>
public sealed record MigrationDecision(RoutePlan Plan, DeploymentRuntime? Shadow, string Served, string Stage);

/// <summary>A served answer handed to the shadow worker.</summary>
public sealed record ShadowJob
{
    /// <summary>The route.</summary>
    public required string Route { get; init; }

    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>A copy of the client's body.</summary>
    public required byte[] Body { get; init; }

    /// <summary>The operation.</summary>
    public ApiOperation Operation { get; init; }

    /// <summary>The deployment to shadow; null when the served request already tells the other side's outcome (it failed and fell back).</summary>
    public DeploymentRuntime? Shadow { get; init; }

    /// <summary>The other side's error when <see cref="Shadow"/> is null.</summary>
    public string? OtherError { get; init; }

    /// <summary><c>incumbent</c> or <c>candidate</c>: the side that served the client.</summary>
    public required string ServedBy { get; init; }

    /// <summary>The served answer's text; null when the served side failed.</summary>
    public string? ServedAnswer { get; init; }

    /// <summary>The served side's error code.</summary>
    public string? ServedError { get; init; }

    /// <summary>The served side's upstream latency.</summary>
    public double ServedLatencyMs { get; init; }

    /// <summary>The stage label.</summary>
    public required string Stage { get; init; }

    /// <summary>The served side's token usage, when reported.</summary>
    public TokenUsage? ServedUsage { get; init; }

    /// <summary>
    /// How the shadow call and the judge reach their deployments; null: each deployment's HTTP seam (the gateway). An
    /// in-process client sets its own, which also knows the request as its caller gave it (not only as <see cref="Body"/>).
    /// </summary>
    public Upstream.IDeploymentBackend? Backend { get; init; }
}
