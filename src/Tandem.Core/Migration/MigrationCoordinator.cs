using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Tandem.Configuration;
using Tandem.Routing;
using Tandem.Runtime;
using Tandem.Telemetry;

namespace Tandem.Migration;

/// <summary>
/// Runs migrations: adjusts each request's plan to the route's stage, calls the other deployment beside the
/// served one (sampled, bounded, never on the client's path), compares the answers, stores the samples, evaluates
/// the gates and, under <c>auto</c>, advances or rolls back. State lives in an <see cref="IMigrationStore"/>, so a
/// restart resumes at the same stage and several instances on one PostgreSQL agree (compare-and-swap updates).
/// </summary>
public sealed partial class MigrationCoordinator : IAsyncDisposable
{
    private readonly IMigrationStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<GatewaySnapshot> _snapshot;
    private readonly ConcurrentDictionary<string, MigrationState> _states = new(StringComparer.Ordinal);
    private readonly ShadowRunner _shadows;
    private readonly DriftWatch _drift;
    private readonly ConcurrentDictionary<string, MigrationHold> _holds = new(StringComparer.Ordinal);
    private bool _hasMigrations;

    /// <summary>Creates a coordinator; call <see cref="StartAsync"/> before use.</summary>
    public MigrationCoordinator(IMigrationStore store, Func<GatewaySnapshot> snapshot, ILogger logger, TimeProvider? time = null, int queueCapacity = 1000, int workers = 4)
    {
        _store = store;
        _snapshot = snapshot;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _shadows = new ShadowRunner(store, snapshot, MigrationOf, logger, _time, queueCapacity, workers);
        _drift = new DriftWatch(store, logger, _time);
    }

    /// <summary>Shadow calls dropped because the queue was full.</summary>
    public long DroppedShadows => _shadows.Dropped;

    /// <summary>Shadow calls finished (sample stored).</summary>
    public long CompletedShadows => _shadows.Completed;

    /// <summary>Current states by route.</summary>
    public IReadOnlyDictionary<string, MigrationState> States => _states;

    /// <summary>Whether any route has a migration (read on every request, so a plain flag).</summary>
    public bool HasMigrations => Volatile.Read(ref _hasMigrations);

    /// <summary>Loads stored states and creates those the configuration declares; resumes where they were.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await SyncWithConfigAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Re-reads stored states (changes by other instances) and creates newly declared migrations.</summary>
    public async Task SyncWithConfigAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = _snapshot();
        foreach (var route in snapshot.Routes.Values)
        {
            if (route.Config.Migration is { } m && !_states.ContainsKey(route.Name))
            {
                var now = _time.GetUtcNow();
                var stage = Enum.Parse<MigrationStage>(m.Stage, ignoreCase: true);
                var (created, isNew) = await _store.CreateIfAbsentAsync(new MigrationState
                {
                    Route = route.Name,
                    Incumbent = route.Incumbent.Name,
                    Candidate = m.To,
                    Stage = stage,
                    StartedAt = now,
                    StageEnteredAt = now,
                    Version = 1,
                    Pinned = stage == MigrationStage.Full,
                }, cancellationToken).ConfigureAwait(false);
                if (isNew)
                {
                    await _store.AppendEventAsync(new MigrationEvent { Route = route.Name, Time = now, Kind = "start", To = created.Describe(m.CanarySteps), Trigger = "config" }, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        foreach (var state in await _store.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            _states[state.Route] = state;
        }

        Volatile.Write(ref _hasMigrations, !_states.IsEmpty);
    }

    /// <summary>The migration settings of a route (its configuration, or defaults for one started by command).</summary>
    public static MigrationConfig SettingsFor(RouteRuntime route, MigrationState state)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(state);
        return route.Config.Migration ?? new MigrationConfig { To = state.Candidate };
    }

    /// <summary>Adjusts a plan to the route's migration stage; returns null when the route has no migration.</summary>
    public MigrationDecision? Apply(RouteRuntime route, RequestView request, RoutePlan plan)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (!_states.TryGetValue(route.Name, out var state))
        {
            return null;
        }

        var snapshot = _snapshot();
        return MigrationPlanner.Apply(state, SettingsFor(route, state), route, request, plan, snapshot.Deployments, snapshot.Services.Random);
    }

    /// <summary>The state and settings of a route's migration in the current snapshot, when it has one.</summary>
    private (MigrationState, MigrationConfig)? MigrationOf(string route) =>
        _snapshot().Routes.TryGetValue(route, out var r) && _states.TryGetValue(route, out var state) ? (state, SettingsFor(r, state)) : null;

    /// <summary>
    /// Notes that a request was decided with a shadow call (<see cref="MigrationDecision.Shadow"/>): it counts as pending
    /// for <see cref="WaitForShadowsAsync"/> from then on. Follow with <see cref="TryEnqueueShadow"/> or <see cref="AbandonShadow"/>.
    /// </summary>
    public void ExpectShadow() => _shadows.Expect();

    /// <summary>An expected shadow call will not be made.</summary>
    public void AbandonShadow() => _shadows.Abandon();

    /// <summary>Hands a served answer to the shadow workers. Never blocks: when the queue is full the call is dropped and counted.</summary>
    public bool TryEnqueueShadow(ShadowJob job) => _shadows.TryEnqueue(job);

    /// <summary>Waits until every expected shadow call has finished or been abandoned (tests, clean shutdown).</summary>
    public Task WaitForShadowsAsync(TimeSpan timeout) => _shadows.WaitAsync(timeout);

    /// <summary>Evaluates the gates of every active migration (or one route) and acts under <c>auto</c>.</summary>
    public async Task<IReadOnlyDictionary<string, GateReport>> EvaluateAsync(string? onlyRoute = null, CancellationToken cancellationToken = default)
    {
        await SyncWithConfigAsync(cancellationToken).ConfigureAwait(false);
        var snapshot = _snapshot();
        var reports = new Dictionary<string, GateReport>(StringComparer.Ordinal);
        foreach (var state in _states.Values.ToList())
        {
            if ((onlyRoute is not null && state.Route != onlyRoute) || !snapshot.Routes.TryGetValue(state.Route, out var route))
            {
                continue;
            }

            var settings = SettingsFor(route, state);
            var report = await ReportAsync(state, settings, cancellationToken).ConfigureAwait(false);
            reports[state.Route] = report;
            if (state.Stage is not (MigrationStage.Shadow or MigrationStage.Canary or MigrationStage.Cutover))
            {
                continue;
            }

            var now = _time.GetUtcNow();
            var stage = state.Describe(settings.CanarySteps);
            await _store.RecordEvaluationAsync(MigrationEvaluation.Of(state.Route, now, stage, report), cancellationToken).ConfigureAwait(false);
            if (await HoldAsync(state, stage, report, now, cancellationToken).ConfigureAwait(false) is { } hold
                && ConfigLoader.TryParseDuration(settings.HoldLimit, out var limit) && now - hold.Since >= limit)
            {
                // Held too long: stop rather than wait for ever (the option exists for gates that may never pass in shadow).
                await ChangeAsync(state.Route, s => s with { Stage = MigrationStage.RolledBack, Pinned = false }, MigrationEventKinds.Rollback, "hold_limit", report, cancellationToken).ConfigureAwait(false);
                _holds.TryRemove(state.Route, out _);
                continue;
            }

            if (!settings.Auto || state.Pinned)
            {
                continue;
            }

            if (report.AllPassed)
            {
                await ChangeAsync(state.Route, Next(state, settings), "advance", "auto", report, cancellationToken).ConfigureAwait(false);
            }
            else if (state.Stage is MigrationStage.Canary or MigrationStage.Cutover && report.QualityFailed && report.Compared >= settings.Gates.MinSamples)
            {
                await ChangeAsync(state.Route, s => s with { Stage = MigrationStage.RolledBack }, "rollback", "auto", report, cancellationToken).ConfigureAwait(false);
            }
        }

        return reports;
    }

    /// <summary>Migrations whose gates hold them in their stage, by route (none while every gate passes).</summary>
    public IReadOnlyDictionary<string, MigrationHold> Holds => _holds;

    /// <summary>
    /// Notes whether the gates hold the migration in its stage. Held since the first failing evaluation of the stage's
    /// current run of failures, read from the stored evaluations (so a restart or another instance agrees); logged when
    /// a hold starts or its gates change.
    /// </summary>
    private async Task<MigrationHold?> HoldAsync(MigrationState state, string stage, GateReport report, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (report.AllPassed)
        {
            _holds.TryRemove(state.Route, out _);
            return null;
        }

        var since = now;
        foreach (var evaluation in await _store.EvaluationsAsync(state.Route, 50, cancellationToken).ConfigureAwait(false))
        {
            if (evaluation.Stage != stage || !evaluation.Outcome.StartsWith("fail", StringComparison.Ordinal) || evaluation.Time < state.StageEnteredAt)
            {
                break;
            }

            since = evaluation.FirstTime < since ? evaluation.FirstTime : since;
        }

        var gates = report.Gates.Where(g => !g.Passed).Select(g => g.Name).ToArray();
        var hold = new MigrationHold(state.Route, stage, gates, since);
        var previous = _holds.TryGetValue(state.Route, out var p) ? p : null;
        _holds[state.Route] = hold;
        if (previous is null || previous.Stage != stage || !previous.Gates.SequenceEqual(gates))
        {
            LogHeld(_logger, state.Route, stage, string.Join(", ", report.Gates.Where(g => !g.Passed).Select(g => $"{g.Name} ({g.Value?.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture) ?? "n/a"} vs {g.Threshold})")));
        }

        return hold;
    }

    /// <summary>The gate report of a route's current stage, without acting on it.</summary>
    public async Task<GateReport> ReportAsync(MigrationState state, MigrationConfig settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(settings);
        var samples = await _store.SamplesAsync(state.Route, state.StageEnteredAt, cancellationToken).ConfigureAwait(false);
        return GateEvaluator.Evaluate(settings.Gates, samples, _time.GetUtcNow() - state.StageEnteredAt);
    }

    private static Func<MigrationState, MigrationState> Next(MigrationState state, MigrationConfig settings) => state.Stage switch
    {
        MigrationStage.Shadow => s => s with { Stage = MigrationStage.Canary, CanaryStep = 0 },
        MigrationStage.Canary when state.CanaryStep + 1 < settings.CanarySteps.Count => s => s with { CanaryStep = s.CanaryStep + 1 },
        MigrationStage.Canary => s => s with { Stage = MigrationStage.Cutover },
        _ => s => s with { Stage = MigrationStage.Full, Pinned = true },
    };

    /// <summary>Starts (or restarts) a migration of a route to a candidate, in shadow.</summary>
    public async Task<MigrationState> StartMigrationAsync(string route, string candidate, CancellationToken cancellationToken = default)
    {
        var snapshot = _snapshot();
        if (!snapshot.Routes.TryGetValue(route, out var r))
        {
            throw new MigrationException($"unknown route '{route}'");
        }

        if (!snapshot.Deployments.ContainsKey(candidate))
        {
            throw new MigrationException($"unknown deployment '{candidate}'");
        }

        var now = _time.GetUtcNow();
        var fresh = new MigrationState { Route = route, Incumbent = r.Incumbent.Name, Candidate = candidate, Stage = MigrationStage.Shadow, StartedAt = now, StageEnteredAt = now, Version = 1 };
        var (stored, isNew) = await _store.CreateIfAbsentAsync(fresh, cancellationToken).ConfigureAwait(false);
        if (!isNew)
        {
            if (stored.Stage is not (MigrationStage.RolledBack or MigrationStage.Full))
            {
                throw new MigrationException($"route '{route}' already has a migration in stage {stored.Stage.ToString().ToLowerInvariant()}");
            }

            fresh = fresh with { Version = stored.Version + 1, Incumbent = stored.Stage == MigrationStage.Full ? stored.Candidate : stored.Incumbent };
            if (!await _store.TryUpdateAsync(fresh, stored.Version, cancellationToken).ConfigureAwait(false))
            {
                throw new MigrationException("the migration changed concurrently; retry");
            }
        }

        _states[route] = fresh;
        Volatile.Write(ref _hasMigrations, true);
        await _store.AppendEventAsync(new MigrationEvent { Route = route, Time = now, Kind = "start", To = "shadow", Trigger = "manual", Evidence = $"{{\"candidate\":\"{candidate}\"}}" }, cancellationToken).ConfigureAwait(false);
        return fresh;
    }

    /// <summary>Manual stage change: <c>advance</c>, <c>rollback</c> or <c>pin</c>.</summary>
    public Task<MigrationState> CommandAsync(string route, string command, CancellationToken cancellationToken = default) =>
        CommandAsync(route, command, "manual", cancellationToken);

    /// <summary>
    /// Manual stage change: <c>advance</c>, <c>rollback</c> or <c>pin</c>, with the <paramref name="trigger"/> the
    /// history records (who asked, e.g. <c>dashboard:admin</c>).
    /// </summary>
    public async Task<MigrationState> CommandAsync(string route, string command, string trigger, CancellationToken cancellationToken = default)
    {
        await SyncWithConfigAsync(cancellationToken).ConfigureAwait(false);
        if (!_states.TryGetValue(route, out var state) || !_snapshot().Routes.TryGetValue(route, out var r))
        {
            throw new MigrationException($"route '{route}' has no migration");
        }

        var settings = SettingsFor(r, state);
        var report = await ReportAsync(state, settings, cancellationToken).ConfigureAwait(false);
        Func<MigrationState, MigrationState> change = command switch
        {
            "advance" when state.Stage is MigrationStage.Shadow or MigrationStage.Canary or MigrationStage.Cutover => Next(state, settings),
            "rollback" when state.Stage is not MigrationStage.RolledBack => s => s with { Stage = MigrationStage.RolledBack, Pinned = false },
            "pin" => s => s with { Stage = MigrationStage.Full, Pinned = true },
            _ => throw new MigrationException($"cannot {command} a migration in stage {state.Describe(settings.CanarySteps)}"),
        };
        return await ChangeAsync(route, change, command, trigger, report, cancellationToken).ConfigureAwait(false)
            ?? throw new MigrationException("the migration changed concurrently; retry");
    }

    private async Task<MigrationState?> ChangeAsync(string route, Func<MigrationState, MigrationState> change, string kind, string trigger, GateReport evidence, CancellationToken cancellationToken)
    {
        var current = _states[route];
        var settings = _snapshot().Routes.TryGetValue(route, out var r) ? SettingsFor(r, current) : new MigrationConfig();
        var now = _time.GetUtcNow();
        var next = change(current) with { Version = current.Version + 1, StageEnteredAt = now };
        if (!await _store.TryUpdateAsync(next, current.Version, cancellationToken).ConfigureAwait(false))
        {
            // Another instance moved first: take its state.
            await SyncWithConfigAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }

        _states[route] = next;
        await _store.AppendEventAsync(new MigrationEvent
        {
            Route = route,
            Time = now,
            Kind = kind,
            From = current.Describe(settings.CanarySteps),
            To = next.Describe(settings.CanarySteps),
            Trigger = trigger,
            Evidence = EvidenceJson.Serialize(evidence),
        }, cancellationToken).ConfigureAwait(false);
        LogStageChanged(_logger, route, kind, current.Describe(settings.CanarySteps), next.Describe(settings.CanarySteps), trigger);
        return next;
    }

    /// <summary>
    /// Notes the model and system fingerprint an upstream reported. When a pinned deployment starts reporting
    /// different ones, a drift event is recorded and logged.
    /// </summary>
    public void ObserveIdentity(string deployment, string? model, string? fingerprint) => _drift.Observe(deployment, model, fingerprint);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _shadows.DisposeAsync();
    [LoggerMessage(EventIds.GateHeld, LogLevel.Warning, "Route {Route}: migration held in {Stage} by gate(s) {Gates}")]
    private static partial void LogHeld(ILogger logger, string route, string stage, string gates);

    [LoggerMessage(EventIds.StageChanged, LogLevel.Information, "Route {Route}: migration {Kind} {From} -> {To} ({Trigger})")]
    private static partial void LogStageChanged(ILogger logger, string route, string kind, string from, string to, string trigger);

}

/// <summary>A migration command that cannot be carried out.</summary>
public sealed class MigrationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MigrationException(string message)
        : base(message)
    {
    }
}

/// <summary>A migration its gates hold in its stage.</summary>
/// <param name="Route">The route.</param>
/// <param name="Stage">The stage label, e.g. <c>shadow</c>.</param>
/// <param name="Gates">The failing gates' names.</param>
/// <param name="Since">The first failing evaluation in this stage's current run of failures.</param>
public sealed record MigrationHold(string Route, string Stage, IReadOnlyList<string> Gates, DateTimeOffset Since);
