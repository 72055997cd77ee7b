using System.Diagnostics;
using System.Diagnostics.Metrics;
using Polly.CircuitBreaker;
using Tandem.Records;
using Tandem.Runtime;

namespace Tandem.Telemetry;

/// <summary>
/// Tandem's instruments, on one meter named <c>Tandem</c> (one per host: created from the host's
/// <see cref="IMeterFactory"/>, so two gateways in one process, as in tests, never report each other's state).
/// Histograms carry units and bucket advice; every record is skipped when no listener is enabled.
/// </summary>
public sealed class TandemMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _overhead;
    private readonly Histogram<double> _timeToFirstChunk;
    private readonly Counter<long> _tokens;
    private readonly Counter<double> _cost;

    /// <summary>Creates the instruments on the host's meter (or, without a factory, a meter of their own).</summary>
    public TandemMetrics(IMeterFactory? factory = null)
    {
        _ownsMeter = factory is null;
        _meter = factory?.Create(new MeterOptions(TandemTelemetry.Name)) ?? new Meter(TandemTelemetry.Name);
        _requests = _meter.CreateCounter<long>("tandem.requests", "{request}", "Requests served, by route, deployment and status code.");
        _errors = _meter.CreateCounter<long>("tandem.errors", "{request}", "Requests that ended in an error, by route, deployment and error code.");
        _duration = _meter.CreateHistogram("tandem.request.duration", "s", "Time from arrival to the end of the response.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _overhead = _meter.CreateHistogram("tandem.gateway.overhead", "s", "Time spent in Tandem itself, not waiting on an upstream.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05] });
        _timeToFirstChunk = _meter.CreateHistogram("gen_ai.client.operation.time_to_first_chunk", "s", "Time to the first streamed chunk.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _tokens = _meter.CreateCounter<long>("gen_ai.client.token.usage", "{token}", "Tokens used, by route, deployment and type (input, output).");
        _cost = _meter.CreateCounter<double>("tandem.cost", "USD", "Per-token cost of served requests, by route and deployment.");
        RecordsWritten = _meter.CreateCounter<long>("tandem.records.written", "{record}", "Records written to storage.");
        RecordsDropped = _meter.CreateCounter<long>("tandem.records.dropped", "{record}", "Records dropped because the write queue was full or shutdown could not flush them.");
        RecordBatchFailures = _meter.CreateCounter<long>("tandem.records.batch_failures", "{batch}", "Record batches that failed to write and were retried.");
    }

    /// <summary>The meter (for components that add their own observable instruments).</summary>
    public Meter Meter => _meter;

    /// <summary>Records written to storage.</summary>
    public Counter<long> RecordsWritten { get; }

    /// <summary>Records dropped (queue full or lost at shutdown).</summary>
    public Counter<long> RecordsDropped { get; }

    /// <summary>Record batches that failed and were retried.</summary>
    public Counter<long> RecordBatchFailures { get; }

    /// <summary>Reports the breakers and replicas of whatever snapshot <paramref name="current"/> returns.</summary>
    public void ObserveDeployments(Func<GatewaySnapshot?> current)
    {
        ArgumentNullException.ThrowIfNull(current);
        _meter.CreateObservableGauge("tandem.deployment.breaker_state", () => Breakers(current()), "{state}",
            "Circuit breaker state per deployment: 0 closed, 1 half-open, 2 open, 3 isolated.");
        _meter.CreateObservableGauge("tandem.endpoint.available", () => Endpoints(current(), outstanding: false), "{endpoint}",
            "1 when a provider replica passes its health checks and is not ejected.");
        _meter.CreateObservableGauge("tandem.endpoint.outstanding", () => Endpoints(current(), outstanding: true), "{request}",
            "Requests in flight per provider replica.");
    }

    /// <summary>Reports, per migration, whether its gates hold it in its stage, and the shadow calls done and dropped.</summary>
    public void ObserveMigrations(Func<Migration.MigrationCoordinator?> coordinator)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        _meter.CreateObservableGauge("tandem.migration.held", () => Held(coordinator()), "{migration}",
            "1 while a migration's gates hold it in its stage (by route and stage), 0 otherwise.");
        _meter.CreateObservableCounter("tandem.shadow.completed", () => coordinator()?.CompletedShadows ?? 0, "{call}", "Shadow calls completed (sample stored).");
        _meter.CreateObservableCounter("tandem.shadow.dropped", () => coordinator()?.DroppedShadows ?? 0, "{call}", "Shadow calls dropped because the shadow queue was full.");
    }

    private static IEnumerable<Measurement<int>> Held(Migration.MigrationCoordinator? coordinator)
    {
        if (coordinator is null)
        {
            yield break;
        }

        foreach (var state in coordinator.States.Values)
        {
            var held = coordinator.Holds.TryGetValue(state.Route, out var hold);
            yield return new Measurement<int>(held ? 1 : 0, new KeyValuePair<string, object?>("route", state.Route), new KeyValuePair<string, object?>("stage", held ? hold!.Stage : state.Stage.ToString().ToLowerInvariant()));
        }
    }

    /// <summary>Counts a finished request.</summary>
    public void Record(RequestRecord record, TimeSpan total)
    {
        ArgumentNullException.ThrowIfNull(record);
        var route = record.Route ?? "";
        var deployment = record.Deployment ?? "";
        if (_requests.Enabled)
        {
            _requests.Add(1, new TagList { { "route", route }, { "deployment", deployment }, { "status", record.Status } });
        }

        if (record.Error is not null && _errors.Enabled)
        {
            _errors.Add(1, new TagList { { "route", route }, { "deployment", deployment }, { "error", record.Error } });
        }

        if (_duration.Enabled)
        {
            _duration.Record(total.TotalSeconds, new TagList { { "route", route }, { "deployment", deployment } });
        }

        if (_overhead.Enabled)
        {
            _overhead.Record(record.OverheadMs / 1000.0, new TagList { { "route", route }, { "deployment", deployment } });
        }

        if (record.TtftMs is double ttft && _timeToFirstChunk.Enabled)
        {
            _timeToFirstChunk.Record(ttft / 1000.0, new TagList { { "route", route }, { "deployment", deployment } });
        }

        if (_tokens.Enabled && (record.PromptTokens > 0 || record.CompletionTokens > 0))
        {
            _tokens.Add(record.PromptTokens, new TagList { { "route", route }, { "deployment", deployment }, { "gen_ai.token.type", "input" } });
            _tokens.Add(record.CompletionTokens, new TagList { { "route", route }, { "deployment", deployment }, { "gen_ai.token.type", "output" } });
        }

        if (record.Cost > 0 && _cost.Enabled)
        {
            _cost.Add((double)record.Cost, new TagList { { "route", route }, { "deployment", deployment } });
        }
    }

    private static IEnumerable<Measurement<int>> Breakers(GatewaySnapshot? snapshot)
    {
        if (snapshot is null)
        {
            yield break;
        }

        foreach (var d in snapshot.Deployments.Values)
        {
            var value = d.Resilience.BreakerState switch
            {
                CircuitState.HalfOpen => 1,
                CircuitState.Open => 2,
                CircuitState.Isolated => 3,
                _ => 0,
            };
            yield return new Measurement<int>(value, new KeyValuePair<string, object?>("deployment", d.Name));
        }
    }

    private static IEnumerable<Measurement<int>> Endpoints(GatewaySnapshot? snapshot, bool outstanding)
    {
        if (snapshot is null)
        {
            yield break;
        }

        var now = snapshot.Services.Time.GetUtcNow();
        foreach (var p in snapshot.Providers.Values)
        {
            foreach (var e in p.Endpoints)
            {
                var value = outstanding ? e.Outstanding : e.IsAvailable(now) ? 1 : 0;
                yield return new Measurement<int>(value, new KeyValuePair<string, object?>("provider", p.Name), new KeyValuePair<string, object?>("endpoint", e.BaseUrl));
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
