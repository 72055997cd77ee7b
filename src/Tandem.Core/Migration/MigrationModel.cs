namespace Tandem.Migration;

/// <summary>Stages of a migration.</summary>
public enum MigrationStage
{
    /// <summary>The incumbent serves; the candidate is called beside it.</summary>
    Shadow,

    /// <summary>The candidate serves a share of traffic, sticky per user.</summary>
    Canary,

    /// <summary>The candidate serves; the incumbent is its fallback.</summary>
    Cutover,

    /// <summary>The incumbent is gone from the route; the candidate is pinned.</summary>
    Full,

    /// <summary>All traffic back on the incumbent.</summary>
    RolledBack,
}

/// <summary>The persisted state of one route's migration.</summary>
public sealed record MigrationState
{
    /// <summary>The route.</summary>
    public required string Route { get; init; }

    /// <summary>The deployment the route is moving from.</summary>
    public required string Incumbent { get; init; }

    /// <summary>The deployment the route is moving to.</summary>
    public required string Candidate { get; init; }

    /// <summary>The current stage.</summary>
    public MigrationStage Stage { get; init; }

    /// <summary>Index into the canary steps while in <see cref="MigrationStage.Canary"/>.</summary>
    public int CanaryStep { get; init; }

    /// <summary>When the migration started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When the current stage (or canary step) began; evidence counts from here.</summary>
    public DateTimeOffset StageEnteredAt { get; init; }

    /// <summary>Whether the candidate is pinned (stage full and confirmed).</summary>
    public bool Pinned { get; init; }

    /// <summary>Optimistic-concurrency version: every change increments it; a save with a stale version fails.</summary>
    public long Version { get; init; }

    /// <summary>A readable label of stage and step, e.g. <c>canary 25%</c>.</summary>
    public string Describe(IReadOnlyList<double> canarySteps)
    {
        ArgumentNullException.ThrowIfNull(canarySteps);
        return Stage switch
        {
            MigrationStage.Canary => $"canary {canarySteps[Math.Min(CanaryStep, canarySteps.Count - 1)].ToString(System.Globalization.CultureInfo.InvariantCulture)}%",
            MigrationStage.RolledBack => "rolled back",
            _ => Stage.ToString().ToLowerInvariant(),
        };
    }
}

/// <summary>A recorded change of a migration (start, stage change, drift), with its evidence.</summary>
public sealed record MigrationEvent
{
    /// <summary>The stored event's id, increasing with time (0 before it is stored); pages of history end before one.</summary>
    public long Id { get; init; }

    /// <summary>The route.</summary>
    public required string Route { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary><c>start</c>, <c>advance</c>, <c>rollback</c>, <c>pin</c>, <c>drift</c> (gate evaluations are <see cref="MigrationEvaluation"/>s).</summary>
    public required string Kind { get; init; }

    /// <summary>The stage before.</summary>
    public string? From { get; init; }

    /// <summary>The stage after.</summary>
    public string? To { get; init; }

    /// <summary><c>auto</c>, <c>manual</c>, <c>config</c>.</summary>
    public string Trigger { get; init; } = "auto";

    /// <summary>The evidence as JSON (gate table, counts).</summary>
    public string Evidence { get; init; } = "{}";
}

/// <summary>
/// A run of gate evaluations with one outcome at one stage. Evaluations run every <c>evaluate_every</c>; the store
/// keeps a new row only when the stage or the outcome changes and otherwise updates the latest row (its time,
/// count and evidence), so the history shows when gates started or stopped passing without one row per tick.
/// </summary>
public sealed record MigrationEvaluation
{
    /// <summary>The stored row's id (0 before it is stored).</summary>
    public long Id { get; init; }

    /// <summary>The route.</summary>
    public required string Route { get; init; }

    /// <summary>The first evaluation of the run.</summary>
    public DateTimeOffset FirstTime { get; init; }

    /// <summary>The latest evaluation of the run (its evidence is <see cref="Evidence"/>).</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>Evaluations in the run.</summary>
    public int Count { get; init; } = 1;

    /// <summary>The stage label, e.g. <c>canary 5%</c>.</summary>
    public required string Stage { get; init; }

    /// <summary><c>pass</c>, or <c>fail: </c> and the failing gates, e.g. <c>fail: samples, duration</c>.</summary>
    public required string Outcome { get; init; }

    /// <summary>The latest evaluation's gate report as JSON.</summary>
    public string Evidence { get; init; } = "{}";

    /// <summary>An evaluation of <paramref name="report"/> taken at <paramref name="time"/>.</summary>
    public static MigrationEvaluation Of(string route, DateTimeOffset time, string stage, GateReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new MigrationEvaluation
        {
            Route = route,
            FirstTime = time,
            Time = time,
            Stage = stage,
            Outcome = OutcomeOf(report),
            Evidence = EvidenceJson.Serialize(report),
        };
    }

    /// <summary><c>pass</c>, or <c>fail: </c> and the failing gates' names in the report's order.</summary>
    public static string OutcomeOf(GateReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return report.AllPassed ? "pass" : "fail: " + string.Join(", ", report.Gates.Where(g => !g.Passed).Select(g => g.Name));
    }
}

/// <summary>One compared pair of answers (or a candidate failure) during a migration.</summary>
public sealed record ShadowSample
{
    /// <summary>The route.</summary>
    public required string Route { get; init; }

    /// <summary>The client request the sample belongs to.</summary>
    public required string RequestId { get; init; }

    /// <summary>When the served answer ended.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>The stage label when it was taken (e.g. <c>canary 25%</c>).</summary>
    public string Stage { get; init; } = "";

    /// <summary>Which side served the client: <c>incumbent</c> or <c>candidate</c>.</summary>
    public string ServedBy { get; init; } = "incumbent";

    /// <summary>The incumbent's answer text (null when it failed).</summary>
    public string? IncumbentAnswer { get; init; }

    /// <summary>The candidate's answer text (null when it failed).</summary>
    public string? CandidateAnswer { get; init; }

    /// <summary>The label read from the incumbent's answer (classification).</summary>
    public string? IncumbentLabel { get; init; }

    /// <summary>The label read from the candidate's answer (classification).</summary>
    public string? CandidateLabel { get; init; }

    /// <summary>Whether the two answers agree; null when one side failed.</summary>
    public bool? Agree { get; init; }

    /// <summary>Similarity (0–1) for structured and free-text comparison.</summary>
    public double? Similarity { get; init; }

    /// <summary>The candidate's error code, when it failed.</summary>
    public string? CandidateError { get; init; }

    /// <summary>The incumbent's error code, when it failed.</summary>
    public string? IncumbentError { get; init; }

    /// <summary>The incumbent's latency.</summary>
    public double? IncumbentLatencyMs { get; init; }

    /// <summary>The candidate's latency.</summary>
    public double? CandidateLatencyMs { get; init; }

    /// <summary>The candidate's per-token cost, when priced.</summary>
    public double? CandidateCost { get; init; }

    /// <summary>A judge's score (1–5) of the candidate's answer, when judged.</summary>
    public double? JudgeScore { get; init; }
}

/// <summary>Where migration state, events and samples are kept.</summary>
public interface IMigrationStore
{
    /// <summary>Every migration.</summary>
    Task<IReadOnlyList<MigrationState>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates the state if absent; returns the stored one (existing or new) and whether this call created it.</summary>
    Task<(MigrationState State, bool Created)> CreateIfAbsentAsync(MigrationState state, CancellationToken cancellationToken = default);

    /// <summary>Replaces the state when its stored version is <paramref name="expectedVersion"/>; false when another writer won.</summary>
    Task<bool> TryUpdateAsync(MigrationState state, long expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>Records an event.</summary>
    Task AppendEventAsync(MigrationEvent migrationEvent, CancellationToken cancellationToken = default);

    /// <summary>
    /// A page of a route's events, newest first: at most <paramref name="limit"/> events with an id below
    /// <paramref name="before"/> (from the newest when null). The next page starts before the last event's id.
    /// </summary>
    Task<IReadOnlyList<MigrationEvent>> EventsAsync(string route, int limit, long? before = null, CancellationToken cancellationToken = default);

    /// <summary>Records a gate evaluation: extends the route's latest run when stage and outcome are the same, else starts a new one.</summary>
    Task RecordEvaluationAsync(MigrationEvaluation evaluation, CancellationToken cancellationToken = default);

    /// <summary>A route's latest evaluation runs, newest first (the first is the latest evaluation).</summary>
    Task<IReadOnlyList<MigrationEvaluation>> EvaluationsAsync(string route, int limit, CancellationToken cancellationToken = default);

    /// <summary>Stores samples.</summary>
    Task AddSamplesAsync(IReadOnlyList<ShadowSample> samples, CancellationToken cancellationToken = default);

    /// <summary>A route's samples taken since <paramref name="since"/>.</summary>
    Task<IReadOnlyList<ShadowSample>> SamplesAsync(string route, DateTimeOffset since, CancellationToken cancellationToken = default);
}
