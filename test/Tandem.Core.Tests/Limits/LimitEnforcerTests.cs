using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Tandem.Configuration;
using Tandem.Limits;
using Xunit;

namespace Tandem.Core.Tests.Limits;

public sealed class LimitEnforcerTests
{
    // 10:00:15 UTC: 45 s left in the minute.
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 10, 0, 15, TimeSpan.Zero);

    private static LimitSpec Rpm(long cap, string key = "app") => new(LimitScope.Key, key, LimitMeasure.Requests, LimitPeriod.Minute, cap);

    private static LimitSpec DailyTokens(long cap, string key = "app") => new(LimitScope.Key, key, LimitMeasure.Tokens, LimitPeriod.Day, cap);

    private static (LimitEnforcer Enforcer, FakeTimeProvider Time, MemoryLimitCounterStore Store, AlertLog Log) Create(
        ILimitCounterStore? store = null, LimitsConfig? settings = null)
    {
        var time = new FakeTimeProvider(T0);
        var memory = new MemoryLimitCounterStore(time);
        var config = settings ?? new LimitsConfig();
        var log = new AlertLog();
        var alerts = new LimitAlerts(() => config, log);
        var enforcer = new LimitEnforcer(new FixedSource(null), store ?? memory, () => config, time, NullLogger.Instance, alerts);
        return (enforcer, time, memory, log);
    }

    [Fact]
    public async Task AdmitAsync_RateLimit_AdmitsExactlyR_ThenRefusesUntilTheWindowEnds()
    {
        var (enforcer, time, _, _) = Create();
        LimitSpec[] specs = [Rpm(3)];
        var outcomes = new List<(LimitOutcome, long?)>();
        for (var i = 0; i < 4; i++)
        {
            var a = await enforcer.AdmitAsync(specs, new LimitEstimate(10, 0), Ct);
            outcomes.Add((a.Outcome, a.Requests?.Remaining));
        }

        Assert.Equal([(LimitOutcome.Admitted, 2L), (LimitOutcome.Admitted, 1L), (LimitOutcome.Admitted, 0L), (LimitOutcome.RateLimited, 0L)], outcomes);
        var refused = await enforcer.AdmitAsync(specs, new LimitEstimate(10, 0), Ct);
        Assert.Equal(TimeSpan.FromSeconds(45), refused.RetryAfter);
        Assert.Equal("Rate limit reached for key 'app' requests per minute: limit 3 requests per minute. Please try again in 45s.", refused.Message);

        time.Advance(TimeSpan.FromSeconds(45));
        var next = await enforcer.AdmitAsync(specs, new LimitEstimate(10, 0), Ct);
        Assert.Equal((LimitOutcome.Admitted, new LimitAllowance(3, 2, TimeSpan.FromMinutes(1))), (next.Outcome, next.Requests!.Value));
    }

    [Fact]
    public async Task AdmitAsync_OneLimitFull_NoCounterIsCharged()
    {
        var (enforcer, _, store, _) = Create();
        var team = new LimitSpec(LimitScope.Team, "research", LimitMeasure.Requests, LimitPeriod.Day, 1);
        Assert.True((await enforcer.AdmitAsync([team], new LimitEstimate(1, 0), Ct)).Admitted);

        // The key's own limit has room, the team's is full: the key's counter must not move.
        var refused = await enforcer.AdmitAsync([Rpm(5), team], new LimitEstimate(1, 0), Ct);
        Assert.Equal((LimitOutcome.BudgetExhausted, "research"), (refused.Outcome, refused.Refused!.Name));
        Assert.Equal("You exceeded your current quota: the team 'research' daily requests budget of 1 requests is used up until 2026-12-03T00:00:00Z.", refused.Message);
        var onlyKey = await enforcer.AdmitAsync([Rpm(5)], new LimitEstimate(1, 0), Ct);
        Assert.Equal(4L, onlyKey.Requests!.Value.Remaining);
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public async Task Settle_TokenReservation_CorrectedToTheRealUsage()
    {
        var (enforcer, _, _, _) = Create();
        LimitSpec[] specs = [DailyTokens(1000)];
        // Reserved 300 (prompt + max_tokens), used 120: 880 left, not 700.
        var first = await enforcer.AdmitAsync(specs, new LimitEstimate(300, 0), Ct);
        Assert.Equal(700L, first.Tokens!.Value.Remaining);
        enforcer.Settle(first, 120, 0m);
        enforcer.Settle(first, 120, 0m); // a second settlement of the same request changes nothing
        await enforcer.WhenSettledAsync();
        var second = await enforcer.AdmitAsync(specs, new LimitEstimate(300, 0), Ct);
        Assert.Equal(1000L - 120 - 300, second.Tokens!.Value.Remaining);
    }

    [Fact]
    public async Task AdmitAsync_EstimateLargerThanTheCap_RefusedAsTooLarge_NoRetryAfter()
    {
        var (enforcer, _, store, _) = Create();
        var refused = await enforcer.AdmitAsync([DailyTokens(100)], new LimitEstimate(101, 0), Ct);
        Assert.Equal((LimitOutcome.RateLimited, null, 0), (refused.Outcome, refused.RetryAfter, store.Count));
        Assert.StartsWith("Request too large for key 'app' daily tokens: it needs an estimated 101 tokens", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alerts_FireOncePerThreshold_WhenACrossingChargeLands()
    {
        var (enforcer, _, _, log) = Create();
        LimitSpec[] specs = [DailyTokens(100)];
        // 40 → 85 crosses 50 and 80; 85 → 100 crosses 100; nothing is crossed twice.
        await enforcer.AdmitAsync(specs, new LimitEstimate(40, 0), Ct);
        Assert.Empty(log.Messages);
        await enforcer.AdmitAsync(specs, new LimitEstimate(45, 0), Ct);
        await enforcer.AdmitAsync(specs, new LimitEstimate(15, 0), Ct);
        Assert.Equal(
        [
            "Budget alert: key 'app' daily tokens reached 50% (85 of 100 tokens)",
            "Budget alert: key 'app' daily tokens reached 80% (85 of 100 tokens)",
            "Budget alert: key 'app' daily tokens reached 100% (100 of 100 tokens)",
        ], log.Messages);
    }

    [Fact]
    public async Task StoreDown_Open_CountsLocally_Closed_Refuses503()
    {
        var open = Create(new BrokenStore(), new LimitsConfig { OnStoreFailure = "open" }).Enforcer;
        var outcomes = new List<LimitOutcome>();
        for (var i = 0; i < 3; i++)
        {
            outcomes.Add((await open.AdmitAsync([Rpm(2)], new LimitEstimate(1, 0), Ct)).Outcome);
        }

        Assert.Equal([LimitOutcome.Admitted, LimitOutcome.Admitted, LimitOutcome.RateLimited], outcomes);
        Assert.True(open.StoreDown);

        var closed = Create(new BrokenStore(), new LimitsConfig { OnStoreFailure = "closed" }).Enforcer;
        var refused = await closed.AdmitAsync([Rpm(2)], new LimitEstimate(1, 0), Ct);
        Assert.Equal(LimitOutcome.StoreUnavailable, refused.Outcome);
    }

    [Fact]
    public async Task Webhook_FailingTwice_IsRetried_AndDeliveredOnce()
    {
        var calls = 0;
        string? body = null;
        var handler = new LambdaHandler(async request =>
        {
            body = await request.Content!.ReadAsStringAsync(Ct);
            return new HttpResponseMessage(Interlocked.Increment(ref calls) <= 2 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.NoContent);
        });
        await using (var webhook = new LimitAlertWebhook(NullLogger.Instance, TimeProvider.System, retries: 4, firstDelay: TimeSpan.FromMilliseconds(1), handler: handler))
        {
            var config = new LimitsConfig { AlertThresholds = [100], AlertWebhook = "http://alerts.example/hook" };
            var alerts = new LimitAlerts(() => config, NullLogger.Instance, null, webhook);
            alerts.Observe(DailyTokens(100), 1_700_000_000_000, 99, 100);
        }

        Assert.Equal(3, calls);
        Assert.Equal("""{"scope":"key","name":"app","measure":"tokens","period":"day","threshold":100,"used":100,"cap":100,"window_start":"2023-11-14T22:13:20+00:00"}""", body);
    }

    private sealed class FixedSource(IReadOnlyList<LimitSpec>? specs) : ILimitSource
    {
        public IReadOnlyList<LimitSpec>? Find(string key, string? team, string? route) => specs;
    }

    private sealed class BrokenStore : ILimitCounterStore
    {
        public ValueTask<LimitTakeResult> TakeAsync(LimitCharge[] charges, CancellationToken cancellationToken = default) =>
            throw new IOException("connection refused");

        public ValueTask<long[]> AdjustAsync(LimitCharge[] adjustments, CancellationToken cancellationToken = default) =>
            throw new IOException("connection refused");
    }

    private sealed class LambdaHandler(Func<HttpRequestMessage, Task<HttpResponseMessage>> send) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => send(request);
    }

    private sealed class AlertLog : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add(formatter(state, exception));
            }
        }
    }
}
