using Tandem.Configuration;
using Tandem.Limits;
using Xunit;

namespace Tandem.Core.Tests.Configuration;

/// <summary>The <c>limits:</c> section: parsing, defaults and every validator error.</summary>
public sealed class LimitsConfigTests
{
    private const string Base = """
        auth: { keys: [ { name: app, key: sk-app-key-123456, team: research } ] }
        providers: [ { name: p, base_url: "http://127.0.0.1:1/v1" } ]
        deployments: [ { name: d, provider: p, model: m } ]
        routes: [ { name: chat, deployment: d } ]

        """;

    private static TandemConfig Parse(string yaml) => ConfigLoader.Parse(Base + yaml);

    private static IReadOnlyList<string> Errors(string yaml) => Assert.Throws<ConfigException>(() => Parse(yaml)).Errors;

    [Fact]
    public void Parse_NoLimitsSection_DatabaseStore_FailsOpen_Defaults()
    {
        var config = Parse("");
        var l = config.Limits;
        Assert.Equal(("database", "open", 1024, null), (l.Store, l.OnStoreFailure, l.DefaultMaxTokens, l.AlertWebhook));
        Assert.Equal([50, 80, 100], l.AlertThresholds);
        Assert.Empty(l.Keys);
        Assert.Equal("research", config.Auth.Keys[0].Team);
    }

    [Fact]
    public void Parse_RulesPerKeyTeamAndRoute_BecomeSpecsInMicroDollars()
    {
        var config = Parse("""
            limits:
              keys: { app: { requests_per_minute: 60, daily_tokens: 100000 } }
              teams: { research: { monthly_usd: 12.5 } }
              routes: { chat: { tokens_per_minute: 5000 } }
            """);
        var source = new ConfigLimitSource(() => config);
        var specs = source.Find("app", "research", "chat")!;
        Assert.Equal(
            [
                (LimitScope.Key, "app", LimitMeasure.Requests, LimitPeriod.Minute, 60L),
                (LimitScope.Key, "app", LimitMeasure.Tokens, LimitPeriod.Day, 100_000L),
                (LimitScope.Team, "research", LimitMeasure.Usd, LimitPeriod.Month, 12_500_000L),
                (LimitScope.Route, "chat", LimitMeasure.Tokens, LimitPeriod.Minute, 5000L),
            ],
            specs.Select(s => (s.Scope, s.Name, s.Measure, s.Period, s.Cap)));
        Assert.Same(specs, source.Find("app", "research", "chat"));
        Assert.Null(source.Find("other", null, "elsewhere"));
    }

    [Fact]
    public void Parse_NoRules_FindAnswersNull()
    {
        var config = Parse("");
        Assert.Null(new ConfigLimitSource(() => config).Find("app", "research", "chat"));
    }

    [Fact]
    public void Validate_BadValues_EveryErrorWithItsPath()
    {
        Environment.SetEnvironmentVariable("TANDEM_LIMITS_TEST_UNSET", null);
        var errors = Errors("""
            limits:
              store: memcached
              on_store_failure: maybe
              default_max_tokens: 0
              alert_thresholds: [50, 150, 50]
              alert_webhook: "ftp://x"
              keys: { app: { requests_per_minute: 0, daily_usd: -1 }, empty: {} }
              routes: { nowhere: { requests_per_minute: 5 } }
            """);
        Assert.Equal(
            [
                "limits.store: unknown store 'memcached' (expected 'database' or 'redis')",
                "limits.on_store_failure: unknown value 'maybe' (expected 'open' or 'closed')",
                "limits.default_max_tokens: must be positive",
                "limits.alert_thresholds[1]: 150 is not a percentage from 1 to 100",
                "limits.alert_thresholds[2]: duplicate threshold 50",
                "limits.alert_webhook: 'ftp://x' is not an absolute http(s) URL",
                "limits.keys.app.requests_per_minute: must be positive",
                "limits.keys.app.daily_usd: must be positive",
                "limits.keys.empty: sets no limit (requests_per_minute, tokens_per_minute, daily_/monthly_requests, daily_/monthly_tokens, daily_/monthly_usd)",
                "limits.routes.nowhere: no route or deployment named 'nowhere'",
            ],
            errors);
    }

    [Fact]
    public void Validate_RedisStore_NeedsItsConnectionVariable()
    {
        Environment.SetEnvironmentVariable("TANDEM_LIMITS_TEST_UNSET", null);
        Assert.Equal(["limits.redis_connection_env: required for store redis"], Errors("limits: { store: redis }"));
        Assert.Equal(["limits.redis_connection_env: environment variable 'TANDEM_LIMITS_TEST_UNSET' is not set"],
            Errors("limits: { store: redis, redis_connection_env: TANDEM_LIMITS_TEST_UNSET }"));
    }
}
