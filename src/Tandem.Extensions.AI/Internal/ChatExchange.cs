using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.AI;
using Tandem.Buffers;
using Tandem.Costs;
using Tandem.Migration;
using Tandem.Records;
using Tandem.Routing;
using Tandem.Runtime;
using Tandem.Telemetry;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Extensions.AI.Internal;

/// <summary>
/// One call through the in-process client, as it moves along the same path as a gateway request, and the record it fills.
/// </summary>
/// <remarks>
/// <code>
///   decide     write the OpenAI body once ─► ApiRequest.Parse ─► route ─► RoutePolicy.Decide ─► MigrationPlanner   (Core)
///   serve      FallbackChain ─► per deployment: IChatClient through DeploymentInvoker.InvokeAsync, else HTTP SendAsync (Core)
///   complete   record (RecordFinisher, TandemMetrics, IRecordSink) ─► shadow job with this call's backend        (Core, Storage)
/// </code>
/// </remarks>
internal sealed partial class ChatExchange : IDisposable
{
    // A body writer that grew beyond this is not kept with an idle exchange.
    private const int MaxKeptBodyBytes = 64 * 1024;
    private readonly PooledBufferWriter _body = new(2048);
    private bool _shadowExpected;

    private ChatExchange(InProcessRuntime runtime) => Runtime = runtime;

    /// <summary>
    /// The exchange of a new call: an idle one of the runtime's (<see cref="Dispose"/> hands it back when the call has
    /// ended: the per-call scaffolding of every call is reused, not allocated; issue 17's budget is 1 KB), or a new one.
    /// Everything that outlives the call — the record, the shadow job — is made fresh for each call.
    /// </summary>
    public static ChatExchange Begin(InProcessRuntime runtime, IEnumerable<ChatMessage> messages, ChatOptions? options, bool stream)
    {
        var x = runtime.IdleExchanges.TryTake() ?? new ChatExchange(runtime);
        x.Messages = messages;
        x.Options = options;
        x.Stream = stream;
        x.Start = Stopwatch.GetTimestamp();
        x.RequestId = NewRequestId();
        x.Record = new RequestRecord
        {
            Id = x.RequestId,
            Time = runtime.Time.GetUtcNow(),
            Operation = "chat",
            Key = runtime.Options.KeyName,
            Stream = stream,
        };
        x.Trace = new UpstreamTrace(x.Record.Attempts);
        return x;
    }

    public InProcessRuntime Runtime { get; }

    public IEnumerable<ChatMessage> Messages { get; private set; } = [];

    public ChatOptions? Options { get; private set; }

    public bool Stream { get; private set; }

    /// <summary>Stopwatch timestamp of the call.</summary>
    public long Start { get; private set; }

    public string RequestId { get; private set; } = "";

    public RequestRecord Record { get; private set; } = null!;

    public UpstreamTrace Trace { get; private set; } = null!;

    /// <summary>What the answer said (reset when the call ends: read by the record and the shadow job before that).</summary>
    public ResponseFacts Facts { get; } = new();

    public ApiRequest? Api { get; private set; }

    public RouteRuntime? Route { get; private set; }

    public RoutePlan? Plan { get; private set; }

    public MigrationDecision? Migration { get; private set; }

    /// <summary>The deployment that served (or failed last).</summary>
    public DeploymentRuntime? Deployment { get; set; }

    /// <summary>Content the request holds that OpenAI's chat format cannot carry: deployments over HTTP refuse such a request.</summary>
    public string? Unsupported { get; private set; }

    /// <summary>Stopwatch ticks the caller spent between stream updates (not Tandem's overhead).</summary>
    public long ClientWaitTicks { get; set; }

    /// <summary>The span of this call, when tracing listens.</summary>
    public Activity? Activity { get; set; }

    /// <summary>The request as the gateway would have received it (OpenAI JSON), for HTTP deployments and records.</summary>
    public ReadOnlyMemory<byte> Body => _body.WrittenMemory;

    private UpstreamRequest? _upstream;

    /// <summary>The request for Tandem's HTTP seam, made on first use.</summary>
    public UpstreamRequest Upstream => _upstream ??= new UpstreamRequest(ApiOperation.ChatCompletions, Api!, Body, UpstreamPurpose.Client, RequestId, Trace);

    /// <summary>
    /// Writes the request once as OpenAI JSON, parses it as the gateway does, resolves the route (the call's
    /// <see cref="ChatOptions.ModelId"/> when it names a route or deployment, else the default) and decides the plan
    /// and the migration's part. Throws <see cref="TandemChatException"/> for a request Tandem refuses.
    /// </summary>
    public void Decide()
    {
        var snapshot = Runtime.Snapshot;
        var model = Options?.ModelId is { } m && (snapshot.Routes.ContainsKey(m) || snapshot.Deployments.ContainsKey(m)) ? m : Runtime.DefaultRoute;
        Unsupported = ChatRequestWriter.Write(_body, model, Messages, Options, Stream).Unsupported;
        Api = ApiRequest.Parse(_body.WrittenSpan, ApiOperation.ChatCompletions, out var problem);
        if (Api is null)
        {
            Fail(400, problem.Code ?? "invalid_request");
            throw new TandemChatException(400, problem.Code ?? "invalid_request", problem.Message);
        }

        Record.Tags = Api.Metadata;
        Record.EndUser = Api.User;
        if (snapshot.Routes.TryGetValue(model, out var route))
        {
            Route = route;
            Record.Route = route.Name;
            var migrations = Runtime.Migrations is { HasMigrations: true } coordinator && coordinator.States.ContainsKey(route.Name) ? coordinator : null;
            if (route.Policy.FixedPlan is { } plan && migrations is null)
            {
                // No rule, split or tier reads the request, and no migration: no view to build.
                Plan = plan;
            }
            else
            {
                var view = new RequestView(Api, Body, Runtime.Options.KeyName, Runtime.Options.Headers);
                Plan = route.Policy.Decide(view);
                if (migrations?.Apply(route, view, Plan) is { } migration)
                {
                    Migration = migration;
                    Plan = migration.Plan;
                    if (migration.Shadow is not null)
                    {
                        migrations.ExpectShadow();
                        _shadowExpected = true;
                    }
                }
            }
        }
        else
        {
            Plan = new RoutePlan([snapshot.Deployments[model]], "deployment named directly");
        }

        Record.Decision = Plan.Reason;
        if (Migration?.Shadow is not null || (Route is not null && RecordFinisher.WantsContent(Route, null)))
        {
            // The shadow comparison and content capture need the served answer's text.
            Facts.Content = new StringBuilder();
        }
    }

    /// <summary>Serves the plan through the fallback chain; the caller disposes the answer.</summary>
    public ValueTask<DeploymentAnswer> ServeAsync(CancellationToken cancellationToken) =>
        FallbackChain.ServeAsync(Plan!, Trace, RequestId, this, static (deployment, x, token) => x.AttemptAsync(deployment, token), Runtime.Logger, cancellationToken);

    /// <summary>Notes the deployment that answered (or failed last) and the fallback steps in the decision.</summary>
    public void Served(DeploymentAnswer answer)
    {
        Deployment = answer.Deployment;
        Record.Deployment = answer.Deployment.Name;
        Record.Decision += Trace.Notes;
        if (Facts.Content is null && answer.Deployment.Config.Usage == Configuration.UsageModes.Estimate)
        {
            Facts.Content = new StringBuilder();
        }
    }

    /// <summary>What a whole answer of an in-process client tells the record (an HTTP answer's facts are read from its bytes).</summary>
    public void Observe(ChatResponse response)
    {
        Facts.Model ??= response.ModelId;
        Facts.FinishReason = response.FinishReason?.Value ?? Facts.FinishReason;
        if (response.AdditionalProperties?.TryGetValue("SystemFingerprint", out var fingerprint) == true && fingerprint is string fp)
        {
            Facts.SystemFingerprint ??= fp;
        }

        if (response.Usage is { } usage)
        {
            Facts.Usage = Usage(usage);
        }

        Facts.Content?.Append(response.Text);
    }

    /// <summary>What one update of an in-process client's stream tells the record.</summary>
    public void Observe(ChatResponseUpdate update)
    {
        Facts.Chunks++;
        Facts.Model ??= update.ModelId;
        if (update.FinishReason is { } finish)
        {
            Facts.FinishReason = finish.Value;
        }

        foreach (var content in update.Contents)
        {
            switch (content)
            {
                case TextContent text when Facts.Content is not null:
                    Facts.Content.Append(text.Text);
                    break;
                case UsageContent { Details: var details }:
                    Facts.Usage = Usage(details);
                    break;
            }
        }
    }

    private static TokenUsage Usage(UsageDetails usage) => new()
    {
        PromptTokens = (int)(usage.InputTokenCount ?? 0),
        CompletionTokens = (int)(usage.OutputTokenCount ?? 0),
        CachedTokens = (int)(usage.CachedInputTokenCount ?? 0),
        ReasoningTokens = (int)(usage.ReasoningTokenCount ?? 0),
    };

    public void Fail(int status, string error)
    {
        Record.Status = status;
        Record.Error = error;
    }

    public void Succeed()
    {
        Record.Status = 200;
        Record.Error = null;
    }

    /// <summary>
    /// The last step of every call: the record is completed and handed to the writer (never awaited), and the migration's
    /// shadow call, when the call was decided with one, is queued with this call's backend.
    /// </summary>
    public void Complete()
    {
        var record = Record;
        if (record.Deployment is { } served && record.Status == 200)
        {
            Runtime.Migrations?.ObserveIdentity(served, Facts.Model, Facts.SystemFingerprint);
        }

        var shadowQueued = _shadowExpected && TryEnqueueShadow();
        var total = Stopwatch.GetElapsedTime(Start);
        record.TotalMs = total.TotalMilliseconds;
        var upstreamMs = Stopwatch.GetElapsedTime(0, Trace.WaitTicks).TotalMilliseconds;
        record.UpstreamMs = upstreamMs;
        record.OverheadMs = Math.Max(0, record.TotalMs - upstreamMs - Stopwatch.GetElapsedTime(0, ClientWaitTicks).TotalMilliseconds);
        record.FinishReason = Facts.FinishReason;
        record.UpstreamModel = Facts.Model;
        record.SystemFingerprint = Facts.SystemFingerprint;
        if (Facts.Usage is { } usage)
        {
            record.PromptTokens = usage.PromptTokens;
            record.CompletionTokens = usage.CompletionTokens;
            record.CachedTokens = usage.CachedTokens;
            record.ReasoningTokens = usage.ReasoningTokens;
        }

        // Estimated tokens (when the deployment reported none), cost, captured content, hashed end user: Core's.
        Runtime.Finisher.Finish(record, Facts, Api, Route, Deployment, Runtime.Snapshot);
        Runtime.Metrics.Record(record, total);
        if (Activity is { } activity)
        {
            activity.SetTag("tandem.route", record.Route);
            activity.SetTag("tandem.deployment", record.Deployment);
            activity.SetTag("tandem.decision", record.Decision);
            activity.SetTag("gen_ai.usage.input_tokens", record.PromptTokens);
            activity.SetTag("gen_ai.usage.output_tokens", record.CompletionTokens);
            if (record.Error is { } error)
            {
                activity.SetTag("error.type", error);
                activity.SetStatus(ActivityStatusCode.Error, error);
            }
        }

        Runtime.Records.TryWrite(record);
        if (_shadowExpected && !shadowQueued)
        {
            Runtime.Migrations!.AbandonShadow();
        }
    }

    /// <summary>After the answer is complete: hands it to the migration's shadow worker (never awaited).</summary>
    private bool TryEnqueueShadow()
    {
        var migrations = Runtime.Migrations!;
        var migration = Migration!;
        if (Record.Status == 499 || !migrations.States.TryGetValue(Route!.Name, out var state))
        {
            return false;
        }

        var served = Deployment?.Name;
        var ok = Record.Status == 200;
        var shadow = migration.Shadow!;

        // When the planned side failed and the other side served through fallback, the other side's outcome is known
        // already: record the failure rather than calling the same deployment twice.
        var fellBack = shadow.Name == served;
        var body = _body.WrittenSpan.ToArray();
        return migrations.TryEnqueueShadow(new ShadowJob
        {
            Route = Route.Name,
            RequestId = RequestId,
            Body = body,
            Operation = ApiOperation.ChatCompletions,
            Shadow = fellBack ? null : shadow,
            OtherError = fellBack ? Record.Attempts.FirstOrDefault(a => a.Error is not null).Error ?? "failed" : null,
            ServedBy = served == state.Candidate ? MigrationSides.Candidate : MigrationSides.Incumbent,
            ServedAnswer = ok ? Facts.Content?.ToString() : null,
            ServedError = ok ? null : Record.Error ?? "failed",
            ServedLatencyMs = Stopwatch.GetElapsedTime(0, Trace.WaitTicks).TotalMilliseconds,
            ServedUsage = Facts.Usage,
            Stage = migration.Stage,
            // The caller's messages as given (copied: a caller may append the answer to its own list afterwards).
            Backend = new ShadowBackend(Runtime, body, [.. Messages], Options),
        });
    }

    /// <summary>Ends the call: the exchange goes back to the runtime's idle ones, holding nothing of the call.</summary>
    public void Dispose()
    {
        Api?.ReleasePromptJson();
        Messages = [];
        Options = null;
        Record = null!;
        Trace = null!;
        Facts.Reset();
        Api = null;
        Route = null;
        Plan = null;
        Migration = null;
        Deployment = null;
        Unsupported = null;
        ClientWaitTicks = 0;
        Activity = null;
        _upstream = null;
        _shadowExpected = false;
        _body.Clear();
        if (_body.GetSpan().Length > MaxKeptBodyBytes || !Runtime.IdleExchanges.TryKeep(this))
        {
            _body.Dispose();
        }
    }

    private static string NewRequestId() =>
        string.Create(36, Guid.CreateVersion7(), static (span, guid) =>
        {
            "req_".CopyTo(span);
            guid.TryFormat(span[4..], out _, "N");
        });
}
