using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Tandem.Configuration;

namespace Tandem.Limits;

/// <summary>A budget that reached one of its alert thresholds, as the webhook receives it.</summary>
public sealed record LimitAlert
{
    /// <summary><c>key</c>, <c>team</c> or <c>route</c>.</summary>
    public required string Scope { get; init; }

    /// <summary>The key, team or route name.</summary>
    public required string Name { get; init; }

    /// <summary><c>requests</c>, <c>tokens</c> or <c>usd</c>.</summary>
    public required string Measure { get; init; }

    /// <summary><c>day</c> or <c>month</c>.</summary>
    public required string Period { get; init; }

    /// <summary>The threshold crossed, in percent.</summary>
    public required int Threshold { get; init; }

    /// <summary>Used so far in the window (dollars for <c>usd</c>).</summary>
    public required decimal Used { get; init; }

    /// <summary>The budget (dollars for <c>usd</c>).</summary>
    public required decimal Cap { get; init; }

    /// <summary>Start of the budget's window (UTC).</summary>
    public required DateTimeOffset WindowStart { get; init; }
}

/// <summary>
/// Fires budget alerts when a charge carries a budget across a threshold (50/80/100 % by default). The crossing is
/// judged from the shared counter's value before and after this instance's own charge, so exactly one instance sees
/// each crossing and the alert fires once per threshold and window across all of them. Each alert is logged, counted
/// (<c>tandem.limits.alerts</c>) and handed to the webhook, which never holds up a request.
/// </summary>
public sealed class LimitAlerts
{
    private readonly Func<LimitsConfig> _settings;
    private readonly ILogger _logger;
    private readonly Counter<long>? _alerts;
    private readonly LimitAlertWebhook? _webhook;

    /// <summary>Creates the alerts; <paramref name="meter"/> and <paramref name="webhook"/> are optional.</summary>
    public LimitAlerts(Func<LimitsConfig> settings, ILogger logger, Meter? meter = null, LimitAlertWebhook? webhook = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        _settings = settings;
        _logger = logger;
        _webhook = webhook;
        _alerts = meter?.CreateCounter<long>("tandem.limits.alerts", "{alert}", "Budget alerts fired, by scope, measure, period and threshold.");
    }

    /// <summary>Alerts for every threshold the counter of <paramref name="spec"/> crossed going from <paramref name="before"/> to <paramref name="after"/>.</summary>
    public void Observe(LimitSpec spec, long windowStart, long before, long after)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!spec.IsBudget || after <= before)
        {
            return;
        }

        foreach (var threshold in _settings().AlertThresholds)
        {
            // Integer arithmetic: the mark is threshold % of the cap, reached when used * 100 >= threshold * cap.
            var mark = (decimal)threshold * spec.Cap;
            if ((decimal)before * 100 < mark && (decimal)after * 100 >= mark)
            {
                Fire(spec, windowStart, threshold, after);
            }
        }
    }

    private void Fire(LimitSpec spec, long windowStart, int threshold, long used)
    {
        var scale = spec.Measure == LimitMeasure.Usd ? 1_000_000m : 1m;
        var alert = new LimitAlert
        {
            Scope = LimitSpec.ScopeWord(spec.Scope),
            Name = spec.Name,
            Measure = LimitSpec.MeasureWord(spec.Measure),
            Period = LimitSpec.PeriodWord(spec.Period),
            Threshold = threshold,
            Used = used / scale,
            Cap = spec.Cap / scale,
            WindowStart = DateTimeOffset.FromUnixTimeMilliseconds(windowStart),
        };
        LimitLog.Alert(_logger, spec.Describe(), threshold, alert.Used.ToString(CultureInfo.InvariantCulture), spec.CapText);
        if (_alerts is { Enabled: true } counter)
        {
            counter.Add(1, new("tandem.limit.scope", alert.Scope), new("tandem.limit.measure", alert.Measure),
                new("tandem.limit.period", alert.Period), new("tandem.limit.threshold", threshold));
        }

        if (_settings().AlertWebhook is { } url)
        {
            _webhook?.Enqueue(new Uri(url), alert);
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(LimitAlert))]
internal sealed partial class LimitsJsonContext : JsonSerializerContext;
