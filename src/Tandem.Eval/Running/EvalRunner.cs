using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Polly;
using Polly.Retry;
using Tandem.Eval.Suites;
using Tandem.Quality;
using Tandem.Runtime;
using Tandem.Upstream;

namespace Tandem.Eval.Running;

/// <summary>
/// Runs a suite against deployments through the gateway's provider code, concurrently, with retries that respect
/// <c>Retry-After</c>, storing each result as it comes so that an interrupted run resumes where it stopped.
/// </summary>
/// <remarks>
/// <code>
///   load results.jsonl ─► pending (case × deployment) ─► N workers: send (retry) ─► score ─► judge? ─► channel
///                                                                                                  │
///                        results.jsonl ◄─ append batch + fsync ◄─ single writer ◄───────────────────┘
///   then, with --pairwise: candidate vs baseline per generation case, both orders ─► channel
/// </code>
/// </remarks>
public sealed class EvalRunner
{
    private readonly GatewaySnapshot _snapshot;
    private readonly EvalRunOptions _options;
    private readonly ResiliencePipeline<UpstreamReply> _pipeline;

    /// <summary>Creates a runner over a gateway snapshot.</summary>
    public EvalRunner(GatewaySnapshot snapshot, EvalRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        _snapshot = snapshot;
        _options = options;
        _pipeline = BuildPipeline(options);
    }

    /// <summary>The delay before a retry: the upstream's <c>Retry-After</c> (capped), else null for the backoff's own.</summary>
    internal static TimeSpan? RetryDelayFor(UpstreamReply? reply, TimeSpan maxRetryAfter) =>
        reply?.RetryAfter is { } after ? (after > maxRetryAfter ? maxRetryAfter : after) : null;

    private static ResiliencePipeline<UpstreamReply> BuildPipeline(EvalRunOptions options)
    {
        if (options.MaxRetries <= 0)
        {
            return ResiliencePipeline<UpstreamReply>.Empty;
        }

        return new ResiliencePipelineBuilder<UpstreamReply>()
            .AddRetry(new RetryStrategyOptions<UpstreamReply>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldHandle = new PredicateBuilder<UpstreamReply>().HandleResult(static r => r.IsTransient),
                DelayGenerator = args => ValueTask.FromResult(RetryDelayFor(args.Outcome.Result, options.MaxRetryAfter)),
            })
            .Build();
    }

    /// <summary>Checks the options against the snapshot and the suite; throws <see cref="EvalUsageException"/>.</summary>
    public void Validate(EvalSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        if (_options.Deployments.Count == 0)
        {
            throw new EvalUsageException("--deployments: name at least one deployment");
        }

        foreach (var d in _options.Deployments)
        {
            if (!_snapshot.Deployments.ContainsKey(d))
            {
                throw new EvalUsageException($"--deployments: unknown deployment '{d}' (configured: {string.Join(", ", _snapshot.Deployments.Keys)})");
            }
        }

        if (_options.Deployments.Distinct(StringComparer.Ordinal).Count() != _options.Deployments.Count)
        {
            throw new EvalUsageException("--deployments: a deployment is named twice");
        }

        if (_options.Baseline is { } b && !_options.Deployments.Contains(b))
        {
            throw new EvalUsageException($"--baseline: '{b}' must be one of --deployments");
        }

        if (_options.Judge is { } j && !_snapshot.Deployments.ContainsKey(j))
        {
            throw new EvalUsageException($"--judge: unknown deployment '{j}'");
        }

        if (_options.Judge is null && suite.Cases.Any(c => c.Kind == CaseKind.Generation))
        {
            throw new EvalUsageException("the suite has generation cases (reference or rubric): pass --judge DEPLOYMENT");
        }

        if (_options.Pairwise && (_options.Judge is null || _options.Baseline is null))
        {
            throw new EvalUsageException("--pairwise needs --judge and --baseline");
        }

        if (_options.Concurrency <= 0)
        {
            throw new EvalUsageException("--concurrency: must be positive");
        }
    }

    /// <summary>Runs (or resumes) the suite and returns every result of it.</summary>
    public async Task<EvalRunResult> RunAsync(EvalSuite suite, IProgress<EvalProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(suite);
        Validate(suite);
        if (_options.Limit is int limit && limit < suite.Cases.Count)
        {
            suite = SuiteSampler.Sample(suite, Math.Max(0, limit), _options.Seed);
        }

        var manifest = new RunManifest
        {
            Suite = suite.Name,
            SuiteFingerprint = suite.Fingerprint,
            Settings = "temperature=" + _options.Temperature.ToString("R", CultureInfo.InvariantCulture),
        };
        ResultStore store;
        try
        {
            store = await ResultStore.OpenAsync(_options.OutputDirectory, manifest, _options.Fresh, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw new EvalUsageException(e.Message, e);
        }

        await using (store.ConfigureAwait(false))
        {
            var labels = AnswerScorer.NormalizeLabels(suite.Labels);
            var judge = _options.Judge is { } j ? new LlmJudge(Sender(_snapshot.Deployments[j]), new JudgeOptions { JsonMode = _options.JudgeJsonMode, Rubric = _options.Rubric }) : null;
            var keys = new List<string>();
            var pending = new List<(EvalCase Case, string Deployment)>();
            foreach (var c in suite.Cases)
            {
                foreach (var d in _options.Deployments)
                {
                    var key = new EvalRecord { CaseId = c.Id, Deployment = d }.Key;
                    keys.Add(key);
                    if (!(store.Records.TryGetValue(key, out var r) && r.Ok))
                    {
                        pending.Add((c, d));
                    }
                }
            }

            var pairwiseCases = _options.Pairwise
                ? suite.Cases.Where(c => c.Kind == CaseKind.Generation).ToArray()
                : [];
            var candidates = _options.Deployments.Where(d => d != _options.Baseline).ToArray();
            var pairwiseKeys = pairwiseCases.SelectMany(c => candidates.Select(d => PairwiseKey(c.Id, d))).ToList();
            var total = keys.Count + pairwiseKeys.Count;
            var resumed = keys.Concat(pairwiseKeys).Count(k => store.Records.TryGetValue(k, out var r) && r.Ok);
            var done = resumed;
            var failed = 0;
            var ran = 0;
            progress?.Report(new EvalProgress(done, total, failed));

            var channel = Channel.CreateUnbounded<EvalRecord>(new UnboundedChannelOptions { SingleReader = true });
            var writer = WriteLoopAsync(channel.Reader, store);
            void Completed(EvalRecord r)
            {
                channel.Writer.TryWrite(r);
                Interlocked.Increment(ref ran);
                if (r.Ok)
                {
                    Interlocked.Increment(ref done);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }

                progress?.Report(new EvalProgress(Volatile.Read(ref done), total, Volatile.Read(ref failed)));
            }

            try
            {
                var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = cancellationToken };
                await Parallel.ForEachAsync(pending, parallel, async (item, ct) =>
                    Completed(await AnswerAsync(suite, item.Case, item.Deployment, labels, judge, ct).ConfigureAwait(false))).ConfigureAwait(false);

                if (pairwiseCases.Length > 0)
                {
                    // Answers of this run are in the channel, not yet in the store: wait for the writer to catch up.
                    channel.Writer.TryComplete();
                    await writer.WaitAsync(cancellationToken).ConfigureAwait(false);
                    channel = Channel.CreateUnbounded<EvalRecord>(new UnboundedChannelOptions { SingleReader = true });
                    writer = WriteLoopAsync(channel.Reader, store);
                    var pairs = new List<(EvalCase Case, string Candidate, EvalRecord Mine, EvalRecord Theirs)>();
                    foreach (var c in pairwiseCases)
                    {
                        foreach (var d in candidates)
                        {
                            if (store.Records.TryGetValue(PairwiseKey(c.Id, d), out var p) && p.Ok)
                            {
                                continue;
                            }

                            if (store.Records.TryGetValue(new EvalRecord { CaseId = c.Id, Deployment = d }.Key, out var mine) && mine.Ok
                                && store.Records.TryGetValue(new EvalRecord { CaseId = c.Id, Deployment = _options.Baseline! }.Key, out var theirs) && theirs.Ok)
                            {
                                pairs.Add((c, d, mine, theirs));
                            }
                            else
                            {
                                Completed(new EvalRecord { Kind = EvalRecord.PairwiseKind, CaseId = c.Id, Deployment = d, Baseline = _options.Baseline, Error = "an answer is missing" });
                            }
                        }
                    }

                    await Parallel.ForEachAsync(pairs, parallel, async (item, ct) =>
                        Completed(await CompareAsync(suite, item.Case, item.Candidate, item.Mine, item.Theirs, judge!, ct).ConfigureAwait(false))).ConfigureAwait(false);
                }
            }
            finally
            {
                // Keep what finished, also when the run is cancelled: the next run resumes from it.
                channel.Writer.TryComplete();
                await writer.ConfigureAwait(false);
            }

            var records = keys.Concat(pairwiseKeys).Select(k => store.Records.GetValueOrDefault(k)).OfType<EvalRecord>().ToArray();
            return new EvalRunResult(suite, records, resumed, ran);
        }
    }

    private string PairwiseKey(string caseId, string candidate) =>
        new EvalRecord { Kind = EvalRecord.PairwiseKind, CaseId = caseId, Deployment = candidate, Baseline = _options.Baseline }.Key;

    private static async Task WriteLoopAsync(ChannelReader<EvalRecord> reader, ResultStore store)
    {
        var batch = new List<EvalRecord>(256);
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (batch.Count < 256 && reader.TryRead(out var r))
            {
                batch.Add(r);
            }

            await store.AppendAsync(batch, CancellationToken.None).ConfigureAwait(false);
            batch.Clear();
        }
    }

    private ChatSender Sender(DeploymentRuntime deployment) => async (body, ct) =>
        await _pipeline.ExecuteAsync(async token => await deployment.Invoker.CompleteChatAsync(body, UpstreamPurpose.Eval, token).ConfigureAwait(false), ct).ConfigureAwait(false);

    private async Task<EvalRecord> AnswerAsync(EvalSuite suite, EvalCase c, string deploymentName, IReadOnlyDictionary<string, string> labels, LlmJudge? judge, CancellationToken cancellationToken)
    {
        var deployment = _snapshot.Deployments[deploymentName];
        var body = Body(c.Messages, _options.Temperature);
        // Attempts counts every upstream try: the deployment's own retries inside the seam, and this run's retries.
        var attempts = 0;
        var reply = await _pipeline.ExecuteAsync(async token =>
        {
            var request = UpstreamRequest.Parse(Wire.ApiOperation.ChatCompletions, body, UpstreamPurpose.Eval);
            try
            {
                return await deployment.Invoker.CompleteAsync(request, token).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Add(ref attempts, Math.Max(1, request.Trace.Attempts.Count));
            }
        }, cancellationToken).ConfigureAwait(false);

        var record = new EvalRecord { CaseId = c.Id, Deployment = deploymentName, Attempts = attempts };
        if (!reply.IsSuccess)
        {
            record.Error = reply.Error ?? "call failed";
            return record;
        }

        var answer = reply.Content;
        record.Answer = answer;
        record.LatencyMs = reply.Elapsed.TotalMilliseconds;
        record.UsageReported = reply.Facts.Usage is not null;
        record.PromptTokens = reply.Facts.Usage?.PromptTokens ?? 0;
        record.CompletionTokens = reply.Facts.Usage?.CompletionTokens ?? 0;
        AnswerScorer.Score(c, answer, labels, record);
        if (c.Kind == CaseKind.Generation)
        {
            var score = await judge!.ScoreAsync(new JudgeRequest(c.Messages, answer, c.Reference, c.Rubric ?? suite.Rubric), cancellationToken).ConfigureAwait(false);
            record.JudgeOutcome = score.Outcome.ToString().ToLowerInvariant();
            record.JudgeScore = score.Score;
            record.JudgeReasons = score.Reasons;
            record.JudgeTokens = (score.Usage?.PromptTokens ?? 0) + (score.Usage?.CompletionTokens ?? 0);
            if (score.Outcome == JudgeOutcome.Unparseable)
            {
                record.JudgeRaw = score.Raw;
            }

            if (score.Outcome == JudgeOutcome.Failed)
            {
                record.Error = "judge: " + score.Error;
                return record;
            }
        }

        record.Ok = true;
        return record;
    }

    private async Task<EvalRecord> CompareAsync(EvalSuite suite, EvalCase c, string candidate, EvalRecord mine, EvalRecord theirs, LlmJudge judge, CancellationToken cancellationToken)
    {
        var verdict = await judge.CompareAsync(new PairwiseRequest(c.Messages, theirs.Answer ?? "", mine.Answer ?? "", c.Reference, c.Rubric ?? suite.Rubric), cancellationToken).ConfigureAwait(false);
        var record = new EvalRecord
        {
            Kind = EvalRecord.PairwiseKind,
            CaseId = c.Id,
            Deployment = candidate,
            Baseline = _options.Baseline,
            Winner = verdict.Winner switch
            {
                PairwiseWinner.First => "baseline",
                PairwiseWinner.Second => "candidate",
                _ => verdict.Winner.ToString().ToLowerInvariant(),
            },
            JudgeReasons = verdict.Reasons,
        };
        if (verdict.Winner == PairwiseWinner.Failed)
        {
            record.Error = "judge: " + verdict.Reasons;
            return record;
        }

        if (verdict.Winner == PairwiseWinner.Unparseable)
        {
            record.JudgeRaw = verdict.FirstOrderRaw + "\n---\n" + verdict.SecondOrderRaw;
        }

        record.Ok = true;
        return record;
    }

    /// <summary>The request body sent for a case (the model is replaced by the deployment's upstream id).</summary>
    internal static ReadOnlyMemory<byte> Body(IReadOnlyList<ChatTurn> messages, double temperature)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model", "eval");
            w.WritePropertyName("messages");
            ChatTurn.WriteMessages(w, messages);
            w.WriteNumber("temperature", temperature);
            w.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }
}
