using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tandem.Configuration;
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
}

/// <summary>
/// Runs migrations: adjusts each request's plan to the route's stage, calls the other deployment beside the
/// served one (sampled, bounded, never on the client's path), compares the answers, stores the samples, evaluates
/// the gates and, under <c>auto</c>, advances or rolls back. State lives in an <see cref="IMigrationStore"/>, so a
/// restart resumes at the same stage and several instances on one PostgreSQL agree (compare-and-swap updates).
/// </summary>
public sealed partial class MigrationCoordinator : IAsyncDisposable
{
    private const int Buckets = 10_000;
    private readonly IMigrationStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<GatewaySnapshot> _snapshot;
    private readonly ConcurrentDictionary<string, MigrationState> _states = new(StringComparer.Ordinal);
    private readonly Channel<ShadowJob> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _workers = [];
    private readonly ConcurrentDictionary<string, (string? Model, string? Fingerprint)> _identities = new(StringComparer.Ordinal);
    private long _dropped;
    private long _inFlight;
    private long _completed;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates a coordinator; call <see cref="StartAsync"/> before use.</summary>
    public MigrationCoordinator(IMigrationStore store, Func<GatewaySnapshot> snapshot, ILogger logger, TimeProvider? time = null, int queueCapacity = 1000, int workers = 4)
    {
        _store = store;
        _snapshot = snapshot;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _queue = Channel.CreateBounded<ShadowJob>(new BoundedChannelOptions(queueCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = false });
        for (var i = 0; i < Math.Max(1, workers); i++)
        {
            _workers.Add(Task.Run(() => ShadowWorkerAsync(_stopping.Token)));
        }
    }

    /// <summary>Shadow calls dropped because the queue was full.</summary>
    public long DroppedShadows => Interlocked.Read(ref _dropped);

    /// <summary>Shadow calls finished (sample stored).</summary>
    public long CompletedShadows => Interlocked.Read(ref _completed);

    /// <summary>Current states by route.</summary>
    public IReadOnlyDictionary<string, MigrationState> States => _states;

    /// <summary>Whether any route has a migration (read on every request, so a plain flag).</summary>
    public bool HasMigrations => Volatile.Read(ref _hasMigrations);

    private bool _hasMigrations;

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
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(plan);
        if (!_states.TryGetValue(route.Name, out var state) || plan.Restricted)
        {
            // A rule that bounds where the request may go (e.g. personal data on-prem only) is never overridden,
            // and such requests are not shadowed either.
            return null;
        }

        var snapshot = _snapshot();
        if (!snapshot.Deployments.TryGetValue(state.Incumbent, out var incumbent) || !snapshot.Deployments.TryGetValue(state.Candidate, out var candidate))
        {
            return null;
        }

        var settings = SettingsFor(route, state);
        var stage = state.Describe(settings.CanarySteps);
        var sampled = settings.ShadowRate >= 1 || Random.Shared.NextDouble() < settings.ShadowRate;
        var rest = plan.Chain.Where(d => d != incumbent && d != candidate).ToList();
        switch (state.Stage)
        {
            case MigrationStage.Shadow:
                return new MigrationDecision(
                    new RoutePlan([incumbent, .. rest], plan.Reason + $"; migration shadow: {candidate.Name} called beside") { Restricted = false },
                    sampled ? candidate : null, "incumbent", stage);
            case MigrationStage.Canary:
                var percent = settings.CanarySteps[Math.Min(state.CanaryStep, settings.CanarySteps.Count - 1)];
                var key = request.User ?? request.Header("x-tandem-user");
                var bucket = key is null ? Random.Shared.Next(Buckets) : (int)(RoutePolicy.Hash(route.Name + "\u0001migration", key) % Buckets);
                var toCandidate = bucket < percent / 100.0 * Buckets;
                var why = $"; migration {stage} (bucket {bucket.ToString(CultureInfo.InvariantCulture)}) -> {(toCandidate ? candidate.Name : incumbent.Name)}";
                return toCandidate
                    ? new MigrationDecision(new RoutePlan([candidate, incumbent, .. rest], plan.Reason + why), sampled ? incumbent : null, "candidate", stage)
                    : new MigrationDecision(new RoutePlan([incumbent, .. rest], plan.Reason + why), sampled ? candidate : null, "incumbent", stage);
            case MigrationStage.Cutover:
                return new MigrationDecision(new RoutePlan([candidate, incumbent, .. rest], plan.Reason + $"; migration cutover -> {candidate.Name}, fallback {incumbent.Name}"),
                    sampled ? incumbent : null, "candidate", stage);
            case MigrationStage.Full:
                return new MigrationDecision(new RoutePlan([candidate, .. rest], plan.Reason + $"; migration full: pinned {candidate.Name}"), null, "candidate", stage);
            default:
                return new MigrationDecision(new RoutePlan([incumbent, .. rest], plan.Reason + "; migration rolled back"), null, "incumbent", stage);
        }
    }

    /// <summary>Hands a served answer to the shadow worker. Never blocks: when the queue is full the call is dropped and counted.</summary>
    public bool TryEnqueueShadow(ShadowJob job)
    {
        if (_queue.Writer.TryWrite(job))
        {
            Interlocked.Increment(ref _inFlight);
            return true;
        }

        Interlocked.Increment(ref _dropped);
        LogShadowDropped(_logger, job.Route, job.RequestId);
        return false;
    }

    /// <summary>Waits until every queued shadow call has finished (tests, clean shutdown).</summary>
    public async Task WaitForShadowsAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (Interlocked.Read(ref _inFlight) > 0)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (Interlocked.Read(ref _inFlight) == 0)
            {
                break;
            }

            await changed.WaitAsync(cts.Token).ConfigureAwait(false);
        }
    }

    private async Task ShadowWorkerAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    var sample = await RunShadowAsync(job, cancellationToken).ConfigureAwait(false);
                    await _store.AddSamplesAsync([sample], cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref _completed);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    LogShadowFailed(_logger, e, job.Route, job.RequestId);
                }
                finally
                {
                    Interlocked.Decrement(ref _inFlight);
                    Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task<ShadowSample> RunShadowAsync(ShadowJob job, CancellationToken cancellationToken)
    {
        var (answer, error, latency, usage) = job.Shadow is { } shadow
            ? await CallAsync(shadow, job.Operation, job.Body, cancellationToken).ConfigureAwait(false)
            : (null, job.OtherError ?? "failed", (double?)null, (TokenUsage?)null);
        var snapshot = _snapshot();
        var settings = snapshot.Routes.TryGetValue(job.Route, out var route) && _states.TryGetValue(job.Route, out var state)
            ? SettingsFor(route, state)
            : new MigrationConfig();
        var servedIsIncumbent = job.ServedBy == "incumbent";
        var incumbentAnswer = servedIsIncumbent ? job.ServedAnswer : answer;
        var candidateAnswer = servedIsIncumbent ? answer : job.ServedAnswer;
        Comparison? comparison = incumbentAnswer is not null && candidateAnswer is not null
            ? new AnswerComparer(settings.Compare).Compare(incumbentAnswer, candidateAnswer)
            : null;
        // Cost of the candidate's answer at the candidate's prices (null when it has none).
        var candidateUsage = servedIsIncumbent ? usage : job.ServedUsage;
        double? candidateCost = null;
        if (candidateUsage is { } cu && _states.TryGetValue(job.Route, out var st) && snapshot.Deployments.TryGetValue(st.Candidate, out var candidateDeployment)
            && Costs.DeploymentPrice.For(candidateDeployment.Config) is { Kind: not Costs.PriceKind.Unpriced } price)
        {
            candidateCost = (double)price.CostOf(cu.PromptTokens, cu.CachedTokens, cu.CompletionTokens, cu.ReasoningTokens);
        }

        // Judge score of the candidate's answer, sampled, when the migration names a judge.
        double? judgeScore = null;
        if (settings.Judge is { } judgeName && candidateAnswer is not null && snapshot.Deployments.TryGetValue(judgeName, out var judgeDeployment)
            && (settings.JudgeRate >= 1 || Random.Shared.NextDouble() < settings.JudgeRate))
        {
            var judge = Quality.LlmJudge.ForDeployment(judgeDeployment);
            var verdict = await judge.ScoreAsync(new Quality.JudgeRequest(Quality.ChatTurn.FromRequestBody(job.Body), candidateAnswer, Reference: incumbentAnswer), cancellationToken).ConfigureAwait(false);
            judgeScore = verdict.Outcome == Quality.JudgeOutcome.Scored ? verdict.Score : null;
        }

        return new ShadowSample
        {
            Route = job.Route,
            CandidateCost = candidateCost,
            JudgeScore = judgeScore,
            RequestId = job.RequestId,
            Time = _time.GetUtcNow(),
            Stage = job.Stage,
            ServedBy = job.ServedBy,
            IncumbentAnswer = incumbentAnswer,
            CandidateAnswer = candidateAnswer,
            IncumbentLabel = comparison?.IncumbentLabel,
            CandidateLabel = comparison?.CandidateLabel,
            Agree = comparison?.Agree,
            Similarity = comparison?.Similarity,
            IncumbentError = servedIsIncumbent ? job.ServedError : error,
            CandidateError = servedIsIncumbent ? error : job.ServedError,
            IncumbentLatencyMs = servedIsIncumbent ? job.ServedLatencyMs : latency,
            CandidateLatencyMs = servedIsIncumbent ? latency : job.ServedLatencyMs,
        };
    }

    /// <summary>Calls a deployment without streaming and returns its answer text, error code and latency.</summary>
    private static async Task<(string? Answer, string? Error, double? LatencyMs, TokenUsage? Usage)> CallAsync(DeploymentRuntime deployment, ApiOperation operation, byte[] clientBody, CancellationToken cancellationToken)
    {
        var provider = deployment.Provider;
        var node = JsonNode.Parse(clientBody)!.AsObject();
        node["model"] = deployment.UpstreamModel;
        node.Remove("stream");
        node.Remove("stream_options");
        var body = Encoding.UTF8.GetBytes(node.ToJsonString());
        var endpoint = provider.PickEndpoint(DateTimeOffset.UtcNow);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(provider.TotalTimeout);
        using var call = new UpstreamCall(endpoint, CancellationTokenSource.CreateLinkedTokenSource(cts.Token));
        using var request = new HttpRequestMessage(HttpMethod.Post, provider.UriFor(operation, deployment.UpstreamModel, endpoint))
        {
            Version = HttpVersion.Version11,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        provider.ApplyHeaders(request);
        request.Headers.TryAddWithoutValidation("x-tandem-shadow", "1");
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await provider.Invoker.SendAsync(request, cts.Token).ConfigureAwait(false);
            var bytes = await response.Content.ReadAsByteArrayAsync(cts.Token).ConfigureAwait(false);
            var latency = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (!response.IsSuccessStatusCode)
            {
                return (null, "http_" + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), latency, null);
            }

            var facts = new ResponseFacts { Content = new StringBuilder() };
            facts.Read(bytes);
            return (facts.Content.ToString(), null, latency, facts.Usage);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, "timeout", Stopwatch.GetElapsedTime(start).TotalMilliseconds, null);
        }
        catch (HttpRequestException)
        {
            return (null, "connect", Stopwatch.GetElapsedTime(start).TotalMilliseconds, null);
        }
    }

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

            await _store.RecordEvaluationAsync(MigrationEvaluation.Of(state.Route, _time.GetUtcNow(), state.Describe(settings.CanarySteps), report), cancellationToken).ConfigureAwait(false);

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
    public async Task<MigrationState> CommandAsync(string route, string command, CancellationToken cancellationToken = default)
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
        return await ChangeAsync(route, change, command, "manual", report, cancellationToken).ConfigureAwait(false)
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
    /// different ones, a drift event is recorded (route <c>deployment:NAME</c>) and logged.
    /// </summary>
    public void ObserveIdentity(string deployment, string? model, string? fingerprint)
    {
        if (model is null && fingerprint is null)
        {
            return;
        }

        var seen = _identities.GetOrAdd(deployment, (model, fingerprint));
        if (seen.Model == model && seen.Fingerprint == fingerprint)
        {
            return;
        }

        if (_identities.TryUpdate(deployment, (model, fingerprint), seen))
        {
            LogDrift(_logger, deployment, seen.Model, seen.Fingerprint, model, fingerprint);
            _ = _store.AppendEventAsync(new MigrationEvent
            {
                Route = "deployment:" + deployment,
                Time = _time.GetUtcNow(),
                Kind = "drift",
                From = $"{seen.Model} {seen.Fingerprint}",
                To = $"{model} {fingerprint}",
                Trigger = "observed",
            });
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_workers).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    [LoggerMessage(40, LogLevel.Warning, "Route {Route}: shadow call for request {RequestId} dropped (shadow queue full)")]
    private static partial void LogShadowDropped(ILogger logger, string route, string requestId);

    [LoggerMessage(41, LogLevel.Warning, "Route {Route}: shadow call for request {RequestId} failed")]
    private static partial void LogShadowFailed(ILogger logger, Exception exception, string route, string requestId);

    [LoggerMessage(42, LogLevel.Information, "Route {Route}: migration {Kind} {From} -> {To} ({Trigger})")]
    private static partial void LogStageChanged(ILogger logger, string route, string kind, string from, string to, string trigger);

    [LoggerMessage(43, LogLevel.Warning, "Deployment {Deployment} drifted: upstream reported {OldModel}/{OldFingerprint}, now {NewModel}/{NewFingerprint}")]
    private static partial void LogDrift(ILogger logger, string deployment, string? oldModel, string? oldFingerprint, string? newModel, string? newFingerprint);
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
