using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Tandem.Configuration;

namespace Tandem.Limits;

/// <summary>
/// Admits requests against their budgets and rate limits, and settles what they reserved when they end.
/// </summary>
/// <remarks>
/// <code>
///   admit    limits of (key, team, route) ── none ─► no store call, no headers
///              │ some
///              ▼
///            charge per limit: 1 request | estimated tokens | estimated micro-dollars, in the limit's window
///              ▼
///            store.TakeAsync: all or nothing, atomic across instances ── store down ─► open: local count | closed: 503
///              ▼
///            admitted (alerts at thresholds) | refused (429 with the limit and its reset)
///   settle   real tokens and cost − reserved ─► store.AdjustAsync (not awaited by the request)
/// </code>
/// A token or money budget can overshoot by at most what one request uses beyond its reservation (its estimate is
/// prompt + <c>max_tokens</c>, so usually it is not overshot at all); a request budget and a rate limit are exact.
/// </remarks>
public sealed class LimitEnforcer
{
    private readonly ILimitSource _source;
    private readonly ILimitCounterStore _store;
    private readonly MemoryLimitCounterStore _local;
    private readonly Func<LimitsConfig> _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LimitAlerts _alerts;
    private readonly Counter<long>? _refused;
    private readonly Counter<long>? _storeFailures;
    private readonly ConcurrentDictionary<long, Task> _settling = new();
    private long _settleIds;
    private int _storeDown;

    /// <summary>Creates the enforcer over a shared store.</summary>
    public LimitEnforcer(ILimitSource source, ILimitCounterStore store, Func<LimitsConfig> settings, TimeProvider time, ILogger logger, LimitAlerts alerts, Meter? meter = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(alerts);
        _source = source;
        _store = store;
        _settings = settings;
        _time = time;
        _logger = logger;
        _alerts = alerts;
        _local = new MemoryLimitCounterStore(time);
        _refused = meter?.CreateCounter<long>("tandem.limits.refused", "{request}", "Requests refused by a budget or rate limit, by scope, measure and period.");
        _storeFailures = meter?.CreateCounter<long>("tandem.limits.store_failures", "{call}", "Limit store calls that failed (the request was counted locally or refused, per on_store_failure).");
    }

    /// <summary>The limits that apply to a caller on a route; null when none does.</summary>
    public IReadOnlyList<LimitSpec>? Find(string key, string? team, string? route) => _source.Find(key, team, route);

    /// <summary>Completion tokens reserved for a request without <c>max_tokens</c>.</summary>
    public int DefaultMaxTokens => _settings().DefaultMaxTokens;

    /// <summary>Whether the shared store failed on its last call.</summary>
    public bool StoreDown => Volatile.Read(ref _storeDown) == 1;

    /// <summary>Takes the request's charges against <paramref name="specs"/> (from <see cref="Find"/>).</summary>
    public async ValueTask<LimitAdmission> AdmitAsync(IReadOnlyList<LimitSpec> specs, LimitEstimate estimate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(specs);
        var now = _time.GetUtcNow();
        var array = specs as LimitSpec[] ?? [.. specs];
        var charges = new LimitCharge[array.Length];
        var starts = new long[array.Length];
        var ends = new long[array.Length];
        for (var i = 0; i < array.Length; i++)
        {
            var spec = array[i];
            var (start, end) = LimitWindows.Of(spec.Period, now);
            starts[i] = start;
            ends[i] = end;
            var amount = spec.Measure switch
            {
                LimitMeasure.Requests => 1,
                LimitMeasure.Tokens => Math.Max(1, estimate.Tokens),
                _ => Math.Max(1, estimate.MicroUsd),
            };
            charges[i] = new LimitCharge(spec.CounterId(start), amount, spec.Cap, end + LimitWindows.GraceMs);
            if (amount > spec.Cap)
            {
                // No window can ever hold this request: say so rather than "try again".
                return Refuse(array, charges, starts, i, now, ends[i], tooLarge: true);
            }
        }

        LimitTakeResult result;
        var local = false;
        try
        {
            result = await _store.TakeAsync(charges, cancellationToken).ConfigureAwait(false);
            StoreAnswered();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            StoreFailed(e);
            if (_settings().OnStoreFailure == LimitStoreFailure.Closed)
            {
                return new LimitAdmission(LimitOutcome.StoreUnavailable, array, charges, starts)
                {
                    Message = "The gateway cannot check this key's budgets and rate limits right now (the limit store is unreachable). Please try again shortly.",
                    RetryAfter = TimeSpan.FromSeconds(1),
                };
            }

            result = await _local.TakeAsync(charges, cancellationToken).ConfigureAwait(false);
            local = true;
        }

        if (!result.Admitted)
        {
            return Refuse(array, charges, starts, result.Refused, now, ends[result.Refused], tooLarge: false, local);
        }

        for (var i = 0; i < array.Length; i++)
        {
            _alerts.Observe(array[i], starts[i], result.Used[i] - charges[i].Amount, result.Used[i]);
        }

        return new LimitAdmission(LimitOutcome.Admitted, array, charges, starts)
        {
            CountedLocally = local,
            Requests = Tightest(array, charges, result.Used, ends, now, LimitMeasure.Requests),
            Tokens = Tightest(array, charges, result.Used, ends, now, LimitMeasure.Tokens),
        };
    }

    /// <summary>
    /// Settles an admitted request with its real usage: the difference from what was reserved is added to its token
    /// and money counters. Not awaited by the request; <see cref="WhenSettledAsync"/> waits for every settlement begun.
    /// </summary>
    public void Settle(LimitAdmission admission, long tokens, decimal costUsd)
    {
        ArgumentNullException.ThrowIfNull(admission);
        if (!admission.Admitted || Interlocked.Exchange(ref admission.Settled, 1) != 0)
        {
            return;
        }

        List<int>? changed = null;
        var microUsd = ConfigLimitSource.Micros(Math.Max(0, costUsd));
        for (var i = 0; i < admission.Specs.Length; i++)
        {
            var real = admission.Specs[i].Measure switch
            {
                LimitMeasure.Tokens => tokens,
                LimitMeasure.Usd => microUsd,
                _ => admission.Charges[i].Amount,
            };
            if (real != admission.Charges[i].Amount)
            {
                (changed ??= []).Add(i);
            }
        }

        if (changed is null)
        {
            return;
        }

        var adjustments = new LimitCharge[changed.Count];
        for (var j = 0; j < changed.Count; j++)
        {
            var i = changed[j];
            var c = admission.Charges[i];
            var real = admission.Specs[i].Measure == LimitMeasure.Tokens ? tokens : microUsd;
            adjustments[j] = c with { Amount = real - c.Amount };
        }

        var id = Interlocked.Increment(ref _settleIds);
        var task = SettleAsync(admission, changed, adjustments);
        if (!task.IsCompleted)
        {
            _settling[id] = task;
            _ = task.ContinueWith(static (_, state) =>
            {
                var (self, key) = ((LimitEnforcer, long))state!;
                self._settling.TryRemove(key, out Task? _);
            }, (this, id), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Completes when every settlement begun so far has landed (tests, shutdown).</summary>
    public Task WhenSettledAsync() => Task.WhenAll(_settling.Values);

    private async Task SettleAsync(LimitAdmission admission, List<int> changed, LimitCharge[] adjustments)
    {
        try
        {
            var store = admission.CountedLocally ? _local : _store;
            var used = await store.AdjustAsync(adjustments).ConfigureAwait(false);
            for (var j = 0; j < changed.Count; j++)
            {
                var i = changed[j];
                _alerts.Observe(admission.Specs[i], admission.WindowStarts[i], used[j] - adjustments[j].Amount, used[j]);
            }
        }
        catch (Exception e)
        {
            // The reservation stays as it was: the counter is off by this request's estimate error, never unbounded.
            StoreFailed(e);
            LimitLog.SettleFailed(_logger, e.Message);
        }
    }

    private LimitAdmission Refuse(LimitSpec[] specs, LimitCharge[] charges, long[] starts, int index, DateTimeOffset now, long end, bool tooLarge, bool local = false)
    {
        var spec = specs[index];
        var reset = DateTimeOffset.FromUnixTimeMilliseconds(end) - now;
        if (_refused is { Enabled: true } counter)
        {
            counter.Add(1, new("tandem.limit.scope", LimitSpec.ScopeWord(spec.Scope)), new("tandem.limit.measure", LimitSpec.MeasureWord(spec.Measure)),
                new("tandem.limit.period", LimitSpec.PeriodWord(spec.Period)));
        }

        string message;
        if (tooLarge)
        {
            message = spec.Measure == LimitMeasure.Usd
                ? $"Request too large for {spec.Describe()}: its estimated cost (prompt plus max_tokens) exceeds the whole budget of {spec.CapText}. Lower max_tokens or shorten the prompt."
                : $"Request too large for {spec.Describe()}: it needs an estimated {charges[index].Amount} tokens (prompt plus max_tokens) and the limit is {spec.CapText}. Lower max_tokens or shorten the prompt.";
        }
        else if (spec.IsBudget)
        {
            message = $"You exceeded your current quota: the {spec.Describe()} budget of {spec.CapText} is used up until {DateTimeOffset.FromUnixTimeMilliseconds(end):yyyy-MM-ddTHH:mm:ssZ}.";
        }
        else
        {
            message = $"Rate limit reached for {spec.Describe()}: limit {spec.CapText} per minute. Please try again in {LimitWindows.ResetText(reset)}.";
        }

        var allowance = new LimitAllowance(spec.Cap, 0, reset);
        return new LimitAdmission(spec.IsBudget && !tooLarge ? LimitOutcome.BudgetExhausted : LimitOutcome.RateLimited, specs, charges, starts)
        {
            Refused = spec,
            Message = message,
            RetryAfter = tooLarge ? null : reset,
            CountedLocally = local,
            Requests = spec.Measure == LimitMeasure.Requests ? allowance : null,
            Tokens = spec.Measure == LimitMeasure.Tokens ? allowance : null,
        };
    }

    /// <summary>The limit of <paramref name="measure"/> with the least room left.</summary>
    private static LimitAllowance? Tightest(LimitSpec[] specs, LimitCharge[] charges, long[] used, long[] ends, DateTimeOffset now, LimitMeasure measure)
    {
        LimitAllowance? best = null;
        for (var i = 0; i < specs.Length; i++)
        {
            if (specs[i].Measure != measure)
            {
                continue;
            }

            var remaining = Math.Max(0, charges[i].Cap - used[i]);
            if (best is null || remaining < best.Value.Remaining)
            {
                best = new LimitAllowance(charges[i].Cap, remaining, DateTimeOffset.FromUnixTimeMilliseconds(ends[i]) - now);
            }
        }

        return best;
    }

    private void StoreAnswered()
    {
        if (Volatile.Read(ref _storeDown) == 1 && Interlocked.Exchange(ref _storeDown, 0) == 1)
        {
            LimitLog.StoreRecovered(_logger);
        }
    }

    private void StoreFailed(Exception e)
    {
        _storeFailures?.Add(1);
        if (Interlocked.Exchange(ref _storeDown, 1) == 0)
        {
            LimitLog.StoreFailed(_logger, _settings().OnStoreFailure == LimitStoreFailure.Closed ? "refused (503)" : "counted per instance", e.Message);
        }
    }
}
