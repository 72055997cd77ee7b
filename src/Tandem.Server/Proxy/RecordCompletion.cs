using System.Diagnostics;
using Tandem.Costs;
using Tandem.Migration;
using Tandem.Records;
using Tandem.Telemetry;

namespace Tandem.Server.Proxy;

/// <summary>
/// The last step of every request: the record is completed (timings, tokens, cost, content per the route's capture),
/// counted in the metrics and handed to the bounded background writer — never awaited on the request path.
/// </summary>
internal sealed class RecordCompletion
{
    private readonly IRecordSink _records;
    private readonly RecordFinisher _finisher;
    private readonly MigrationCoordinator _migrations;
    private readonly TandemMetrics _metrics;
    private readonly LimitGate _limits;

    public RecordCompletion(IRecordSink records, RecordFinisher finisher, MigrationCoordinator migrations, TandemMetrics metrics, LimitGate limits)
    {
        _limits = limits;
        _metrics = metrics;
        _records = records;
        _finisher = finisher;
        _migrations = migrations;
    }

    public void Complete(Exchange x)
    {
        if (x.Record.Deployment is { } served && x.Record.Status == 200)
        {
            _migrations.ObserveIdentity(served, x.Facts.Model, x.Facts.SystemFingerprint);
        }

        if (x.Unrecorded)
        {
            return;
        }

        var record = x.Record;
        var total = Stopwatch.GetElapsedTime(x.Start);
        record.TotalMs = total.TotalMilliseconds;
        var upstreamMs = Stopwatch.GetElapsedTime(0, x.UpstreamWaitTicks).TotalMilliseconds;
        record.UpstreamMs = upstreamMs;
        record.OverheadMs = Math.Max(0, record.TotalMs - upstreamMs - Stopwatch.GetElapsedTime(0, x.ClientWaitTicks).TotalMilliseconds);
        var facts = x.Facts;
        record.FinishReason = facts.FinishReason;
        record.UpstreamModel = facts.Model;
        record.SystemFingerprint = facts.SystemFingerprint;
        if (facts.Usage is { } usage)
        {
            record.PromptTokens = usage.PromptTokens;
            record.CompletionTokens = usage.CompletionTokens;
            record.CachedTokens = usage.CachedTokens;
            record.ReasoningTokens = usage.ReasoningTokens;
        }

        // Estimated tokens (when the upstream reported none), cost, captured content, hashed end user.
        _finisher.Finish(record, facts, x.Request, x.Route, x.Deployment, x.Snapshot);
        // Budgets: the reservation made at admission is corrected to the real tokens and cost (not awaited).
        _limits.Settle(x);
        _metrics.Record(record, total);
        if (x.Activity is { } activity)
        {
            activity.SetTag("http.response.status_code", record.Status);
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

        _records.TryWrite(record);
    }
}
