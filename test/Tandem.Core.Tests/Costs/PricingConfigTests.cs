using Tandem.Configuration;
using Xunit;

namespace Tandem.Core.Tests.Costs;

public sealed class PricingConfigTests
{
    private static string Config(string deployments, string extra = "") => $$"""
        auth: { disabled: true }
        providers:
          - name: p
            base_url: http://127.0.0.1:9/v1
        deployments:
          - name: api
            provider: p
            model: gpt-4o-mini-2024-07-18
        {{deployments}}
        routes:
          - name: r
            deployment: api
        {{extra}}
        """;

    [Fact]
    public void Parse_PricingStorageAndCapture_AreRead()
    {
        var config = ConfigLoader.Parse(Config("""
              - name: gpu
                provider: p
                model: llama
                usage: estimate
                tokenizer: cl100k
                pricing: { fixed_monthly: 2400, marginal_per_mtok: 0.05, capacity_tokens_per_second: 1500 }
              - name: priced
                provider: p
                model: x
                pricing: { input_per_mtok: 2.5, cached_input_per_mtok: 1.25, output_per_mtok: 10 }
            """, """
            storage:
              provider: sqlite
              path: data/records.db
              queue_capacity: 1000
              batch_size: 100
              retention_days: 30
              rollup_retention_days: 400
              hash_end_users: true
            """).Replace("deployment: api\n", "deployment: api\n    capture: redacted\n", StringComparison.Ordinal));
        Assert.Equal(2400m, config.Deployments[1].Pricing!.FixedMonthly);
        Assert.Equal(0.05m, config.Deployments[1].Pricing!.MarginalPerMtok);
        Assert.Equal(1500, config.Deployments[1].Pricing!.CapacityTokensPerSecond);
        Assert.Equal(("estimate", "cl100k"), (config.Deployments[1].Usage, config.Deployments[1].Tokenizer));
        Assert.Equal(1.25m, config.Deployments[2].Pricing!.CachedInputPerMtok);
        Assert.Equal("redacted", config.Routes[0].Capture);
        Assert.Equal(("data/records.db", 1000, 100, 30, 400, true), (config.Storage.Path, config.Storage.QueueCapacity, config.Storage.BatchSize,
            config.Storage.RetentionDays, config.Storage.RollupRetentionDays, config.Storage.HashEndUsers));
    }

    [Fact]
    public void Parse_NoStorageSection_DefaultsToSqliteFileAndNinetyDays()
    {
        var config = ConfigLoader.Parse(Config(""));
        Assert.Equal(("sqlite", "tandem.db", 90), (config.Storage.Engine, config.Storage.Path, config.Storage.RetentionDays));
        Assert.Equal("off", config.Routes[0].Capture);
        Assert.Equal("reported", config.Deployments[0].Usage);
        Assert.Null(config.Deployments[0].Pricing);
    }

    [Fact]
    public void Parse_BadPricingStorageAndCapture_ReportsEveryErrorWithItsPath()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Config("""
              - name: bad
                provider: p
                model: x
                usage: guess
                tokenizer: llama
                pricing: { input_per_mtok: -1, output_per_mtok: 3, fixed_monthly: 10 }
              - name: half
                provider: p
                model: x
                pricing: { input_per_mtok: 1 }
              - name: marginal
                provider: p
                model: x
                pricing: { input_per_mtok: 1, output_per_mtok: 1, marginal_per_mtok: 1 }
            """, """
            storage:
              provider: mysql
              queue_capacity: 10
              batch_size: 20
              retention_days: 0
              rollup_retention_days: -1
            """).Replace("deployment: api\n", "deployment: api\n    capture: everything\n", StringComparison.Ordinal)));
        Assert.Contains("deployments[1].pricing.input_per_mtok: must be ≥ 0", e.Errors);
        Assert.Contains(e.Errors, x => x.StartsWith("deployments[1].pricing: set either token prices", StringComparison.Ordinal));
        Assert.Contains(e.Errors, x => x.StartsWith("deployments[1].usage: unknown mode 'guess'", StringComparison.Ordinal));
        Assert.Contains(e.Errors, x => x.StartsWith("deployments[1].tokenizer: unknown tokenizer 'llama'", StringComparison.Ordinal));
        Assert.Contains("deployments[2].pricing: token pricing needs both input_per_mtok and output_per_mtok", e.Errors);
        Assert.Contains("deployments[3].pricing.marginal_per_mtok: only with fixed_monthly", e.Errors);
        Assert.Contains(e.Errors, x => x.StartsWith("routes[0].capture: unknown mode 'everything'", StringComparison.Ordinal));
        Assert.Contains(e.Errors, x => x.StartsWith("storage.provider: unknown engine 'mysql'", StringComparison.Ordinal));
        Assert.Contains("storage.batch_size: must not exceed storage.queue_capacity", e.Errors);
        Assert.Contains("storage.retention_days: must be positive", e.Errors);
        Assert.Contains("storage.rollup_retention_days: must be at least storage.retention_days", e.Errors);
    }

    [Fact]
    public void Parse_FixedCostBreakdown_SumsToTheMonthlyCost()
    {
        var config = ConfigLoader.Parse(Config("""
              - name: gpu
                provider: p
                model: llama
                pricing: { fixed_monthly_breakdown: { gpus: 2000, infrastructure: 250, operations: 750 } }
            """));
        Assert.Equal(3000m, Tandem.Costs.DeploymentPrice.For(config.Deployments[1]).FixedMonthly);

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Config("""
              - name: gpu
                provider: p
                model: llama
                pricing: { fixed_monthly: 100, fixed_monthly_breakdown: { gpus: 90, power: -5 } }
            """)));
        Assert.Contains("deployments[1].pricing.fixed_monthly_breakdown.power: must be ≥ 0", e.Errors);
        Assert.Contains("deployments[1].pricing.fixed_monthly_breakdown: parts add up to 85, not fixed_monthly 100", e.Errors);
    }

    [Fact]
    public void Parse_PostgresWithoutConnectionVariable_IsRefused()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Config("", """
            storage:
              provider: postgres
              connection_string_env: TANDEM_TEST_SURELY_UNSET_VARIABLE
              schema: "drop table"
            """)));
        Assert.Contains("storage.connection_string_env: environment variable 'TANDEM_TEST_SURELY_UNSET_VARIABLE' is not set", e.Errors);
        Assert.Contains(e.Errors, x => x.StartsWith("storage.schema:", StringComparison.Ordinal));
    }
}
