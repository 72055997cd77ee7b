using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tandem.Configuration;
using Tandem.Costs;
using Tandem.Quality;
using Tandem.Runtime;
using Tandem.Telemetry;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Migration;

/// <summary>
/// Shadow calls, off the client's path: a bounded queue of served answers, a few workers that call the other side
/// through its upstream seam (so its limiter, retries and breaker apply; through the job's backend when an in-process
/// client queued it), compare both answers, price the candidate's,
/// ask the judge when sampled, and store the sample — with the route's <c>capture</c> setting applied to the answers.
/// When the queue is full a job is dropped and counted, never waited for.
/// </summary>
internal sealed partial class ShadowRunner : IAsyncDisposable
{
    private readonly IMigrationStore _store;
    private readonly Func<GatewaySnapshot> _snapshot;
    private readonly Func<string, (MigrationState State, MigrationConfig Settings)?> _migrationOf;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<ShadowJob> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _workers = [];
    private long _dropped;
    private long _inFlight;
    private long _completed;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ShadowRunner(IMigrationStore store, Func<GatewaySnapshot> snapshot, Func<string, (MigrationState, MigrationConfig)?> migrationOf, ILogger logger, TimeProvider time, int queueCapacity, int workers)
    {
        _store = store;
        _snapshot = snapshot;
        _migrationOf = migrationOf;
        _logger = logger;
        _time = time;
        _queue = Channel.CreateBounded<ShadowJob>(new BoundedChannelOptions(queueCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = false });
        for (var i = 0; i < Math.Max(1, workers); i++)
        {
            _workers.Add(Task.Run(() => WorkAsync(_stopping.Token)));
        }
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>A request was decided with a shadow call: count it as pending until it is queued and done, or abandoned.</summary>
    public void Expect() => Interlocked.Increment(ref _inFlight);

    /// <summary>An expected shadow call will not be made (the client left, the request failed before an answer).</summary>
    public void Abandon()
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Queues an expected shadow call; when the queue is full it is dropped, counted and logged (false: abandon it).</summary>
    public bool TryEnqueue(ShadowJob job)
    {
        if (_queue.Writer.TryWrite(job))
        {
            return true;
        }

        // The caller abandons the expected call.
        Interlocked.Increment(ref _dropped);
        LogShadowDropped(_logger, job.Route, job.RequestId);
        return false;
    }

    public async Task WaitAsync(TimeSpan timeout)
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

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    var sample = await RunAsync(job, cancellationToken).ConfigureAwait(false);
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

    internal async Task<ShadowSample> RunAsync(ShadowJob job, CancellationToken cancellationToken)
    {
        using var activity = TandemTelemetry.Source.StartActivity("shadow call", ActivityKind.Internal);
        activity?.SetTag("tandem.route", job.Route);
        activity?.SetTag("tandem.request_id", job.RequestId);
        activity?.SetTag("tandem.deployment", job.Shadow?.Name);
        var (answer, error, latency, usage) = job.Shadow is { } shadow
            ? await CallAsync(shadow, job, cancellationToken).ConfigureAwait(false)
            : (null, job.OtherError ?? "failed", (double?)null, (TokenUsage?)null);
        var snapshot = _snapshot();
        var migration = _migrationOf(job.Route);
        var settings = migration?.Settings ?? new MigrationConfig();
        var servedIsIncumbent = job.ServedBy == MigrationSides.Incumbent;
        var incumbentAnswer = servedIsIncumbent ? job.ServedAnswer : answer;
        var candidateAnswer = servedIsIncumbent ? answer : job.ServedAnswer;
        Comparison? comparison = incumbentAnswer is not null && candidateAnswer is not null
            ? new AnswerComparer(settings.Compare).Compare(incumbentAnswer, candidateAnswer)
            : null;

        // Cost of the candidate's answer at the candidate's prices (null when it has none).
        var candidateUsage = servedIsIncumbent ? usage : job.ServedUsage;
        double? candidateCost = null;
        if (candidateUsage is { } cu && migration is { State: var st } && snapshot.Deployments.TryGetValue(st.Candidate, out var candidateDeployment)
            && DeploymentPrice.For(candidateDeployment.Config) is { Kind: not PriceKind.Unpriced } price)
        {
            candidateCost = (double)price.CostOf(cu.PromptTokens, cu.CachedTokens, cu.CompletionTokens, cu.ReasoningTokens);
        }

        // Judge score of the candidate's answer, sampled, when the migration names a judge.
        double? judgeScore = null;
        if (settings.Judge is { } judgeName && candidateAnswer is not null && snapshot.Deployments.TryGetValue(judgeName, out var judgeDeployment)
            && snapshot.Services.Random.Sample(settings.JudgeRate))
        {
            var judge = job.Backend is { } backend
                ? new LlmJudge((body, ct) => backend.CompleteAsync(judgeDeployment, UpstreamRequest.Parse(ApiOperation.ChatCompletions, body, UpstreamPurpose.Judge, job.RequestId), ct))
                : LlmJudge.ForDeployment(judgeDeployment);
            var verdict = await judge.ScoreAsync(new JudgeRequest(ChatTurn.FromRequestBody(job.Body), candidateAnswer, Reference: incumbentAnswer), cancellationToken).ConfigureAwait(false);
            judgeScore = verdict.Outcome == JudgeOutcome.Scored ? verdict.Score : null;
        }

        // The answers are kept as the route keeps content in its records: not at all, masked, or whole.
        var routeConfig = snapshot.Routes.TryGetValue(job.Route, out var route) ? route.Config : null;
        return new ShadowSample
        {
            Route = job.Route,
            CandidateCost = candidateCost,
            JudgeScore = judgeScore,
            RequestId = job.RequestId,
            Time = _time.GetUtcNow(),
            Stage = job.Stage,
            ServedBy = job.ServedBy,
            IncumbentAnswer = RecordFinisher.Capture(incumbentAnswer, routeConfig),
            CandidateAnswer = RecordFinisher.Capture(candidateAnswer, routeConfig),
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

    /// <summary>Calls the other side through its upstream seam and returns its answer text, error code, latency and usage.</summary>
    private static async Task<(string? Answer, string? Error, double? LatencyMs, TokenUsage? Usage)> CallAsync(DeploymentRuntime deployment, ShadowJob job, CancellationToken cancellationToken)
    {
        UpstreamRequest request;
        try
        {
            request = UpstreamRequest.Parse(job.Operation, job.Body, UpstreamPurpose.Shadow, job.RequestId);
        }
        catch (ArgumentException)
        {
            return (null, "invalid_request", null, null);
        }

        var reply = job.Backend is { } backend
            ? await backend.CompleteAsync(deployment, request, cancellationToken).ConfigureAwait(false)
            : await deployment.Invoker.CompleteAsync(request, cancellationToken).ConfigureAwait(false);
        var latency = reply.Elapsed.TotalMilliseconds;
        return reply.IsSuccess ? (reply.Content, null, latency, reply.Facts.Usage) : (null, ErrorOf(reply), latency, null);
    }

    /// <summary>The error label of a failed shadow call: <c>http_503</c> for an HTTP status, else the failure's kind (<c>timeout</c>, <c>connect</c>…).</summary>
    internal static string ErrorOf(UpstreamReply reply) => reply.Failure switch
    {
        { UpstreamStatus: > 0 } f => "http_" + f.UpstreamStatus.ToString(CultureInfo.InvariantCulture),
        { Kind: FailureKind.Timeout } => "timeout",
        { Kind: FailureKind.Connect } => "connect",
        { Kind: FailureKind.Capacity } => "capacity",
        { Kind: FailureKind.BreakerOpen } => "breaker_open",
        { } f => f.Code,
        null => "error_object",
    };

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

    [LoggerMessage(EventIds.ShadowDropped, LogLevel.Warning, "Route {Route}: shadow call for request {RequestId} dropped (shadow queue full)")]
    private static partial void LogShadowDropped(ILogger logger, string route, string requestId);

    [LoggerMessage(EventIds.ShadowFailed, LogLevel.Warning, "Route {Route}: shadow call for request {RequestId} failed")]
    private static partial void LogShadowFailed(ILogger logger, Exception exception, string route, string requestId);
}
