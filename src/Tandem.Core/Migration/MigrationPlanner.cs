using System.Globalization;
using Tandem.Configuration;
using Tandem.Routing;
using Tandem.Runtime;

namespace Tandem.Migration;

/// <summary>
/// The hot-path decision of a migration: how one request's plan changes at the route's stage, and whether the other
/// side is called beside it (shadow). Pure: it reads the state, the settings and the request, nothing else.
/// </summary>
/// <remarks>
/// <code>
///   shadow    serve incumbent            shadow candidate (sampled)
///   canary    bucket &lt; step% ─► candidate, incumbent as fallback; else incumbent    shadow the other (sampled)
///   cutover   serve candidate, incumbent as fallback                            shadow incumbent (sampled)
///   full      serve candidate (pinned)                                          no shadow
///   rolled back  serve incumbent                                                no shadow
/// </code>
/// A canary's bucket hashes the route and the user (<c>user</c> field or <c>x-tandem-user</c>), so a user stays on one
/// side while the step holds; requests without a user draw a bucket from the random source.
/// </remarks>
public static class MigrationPlanner
{
    /// <summary>Buckets of the canary split (percentages are resolved to 0.01 %).</summary>
    public const int Buckets = 10_000;

    /// <summary>Adjusts <paramref name="plan"/> to the migration; null when the migration does not apply.</summary>
    public static MigrationDecision? Apply(MigrationState state, MigrationConfig settings, RouteRuntime route, RequestView request, RoutePlan plan,
        IReadOnlyDictionary<string, DeploymentRuntime> deployments, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(deployments);
        ArgumentNullException.ThrowIfNull(random);
        if (plan.Restricted)
        {
            // A rule that bounds where the request may go (e.g. personal data on-prem only) is never overridden,
            // and such requests are not shadowed either.
            return null;
        }

        if (!deployments.TryGetValue(state.Incumbent, out var incumbent) || !deployments.TryGetValue(state.Candidate, out var candidate))
        {
            return null;
        }

        var stage = state.Describe(settings.CanarySteps);
        var sampled = random.Sample(settings.ShadowRate);
        var rest = plan.Chain.Where(d => d != incumbent && d != candidate).ToList();
        switch (state.Stage)
        {
            case MigrationStage.Shadow:
                return new MigrationDecision(
                    new RoutePlan([incumbent, .. rest], plan.Reason + $"; migration shadow: {candidate.Name} called beside"),
                    sampled ? candidate : null, MigrationSides.Incumbent, stage);
            case MigrationStage.Canary:
                var percent = settings.CanarySteps[Math.Min(state.CanaryStep, settings.CanarySteps.Count - 1)];
                var key = request.User ?? request.Header("x-tandem-user");
                var bucket = key is null ? random.Next(Buckets) : (int)(RoutePolicy.Hash(route.Name + "\u0001migration", key) % Buckets);
                var toCandidate = bucket < percent / 100.0 * Buckets;
                var why = $"; migration {stage} (bucket {bucket.ToString(CultureInfo.InvariantCulture)}) -> {(toCandidate ? candidate.Name : incumbent.Name)}";
                return toCandidate
                    ? new MigrationDecision(new RoutePlan([candidate, incumbent, .. rest], plan.Reason + why), sampled ? incumbent : null, MigrationSides.Candidate, stage)
                    : new MigrationDecision(new RoutePlan([incumbent, .. rest], plan.Reason + why), sampled ? candidate : null, MigrationSides.Incumbent, stage);
            case MigrationStage.Cutover:
                return new MigrationDecision(new RoutePlan([candidate, incumbent, .. rest], plan.Reason + $"; migration cutover -> {candidate.Name}, fallback {incumbent.Name}"),
                    sampled ? incumbent : null, MigrationSides.Candidate, stage);
            case MigrationStage.Full:
                return new MigrationDecision(new RoutePlan([candidate, .. rest], plan.Reason + $"; migration full: pinned {candidate.Name}"), null, MigrationSides.Candidate, stage);
            default:
                return new MigrationDecision(new RoutePlan([incumbent, .. rest], plan.Reason + "; migration rolled back"), null, MigrationSides.Incumbent, stage);
        }
    }
}

/// <summary>The two sides of a migration, as stored in samples and records.</summary>
public static class MigrationSides
{
    /// <summary>The deployment the route stood on when the migration started.</summary>
    public const string Incumbent = "incumbent";

    /// <summary>The deployment the route is moving to.</summary>
    public const string Candidate = "candidate";
}
