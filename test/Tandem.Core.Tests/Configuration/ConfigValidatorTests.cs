using Tandem.Configuration;
using Xunit;

namespace Tandem.Core.Tests.Configuration;

/// <summary>Migration settings that can never work, and warnings about settings that are valid but suspicious.</summary>
public sealed class ConfigValidatorTests
{
    private static string WithMigration(string migration) => $$"""
        auth: { disabled: true }
        providers: [ { name: p, base_url: "http://127.0.0.1:9/v1" } ]
        deployments:
          - { name: old, provider: p, model: a }
          - { name: new, provider: p, model: b }
        routes:
          - name: r
            deployment: old
            migration: { to: new, {{migration}} }
        """;

    private static IReadOnlyList<string> ErrorsOf(string yaml) => Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml)).Errors;

    [Fact]
    public void Validate_MinAgreementAboveOne_IsRefused()
    {
        Assert.Equal(["routes[0].migration.gates.min_agreement: must be between 0 and 1 (a share: 0.9 means 90 %)"],
            ErrorsOf(WithMigration("gates: { min_agreement: 90 }")));
    }

    [Fact]
    public void Validate_DecreasingCanarySteps_AreRefused()
    {
        Assert.Equal(["routes[0].migration.canary_steps[2]: each step must send more traffic than the one before (5, 50, 25)"],
            ErrorsOf(WithMigration("canary_steps: [5, 50, 25]")));
        Assert.Equal(["routes[0].migration.canary_steps[1]: each step must send more traffic than the one before (10, 10)"],
            ErrorsOf(WithMigration("canary_steps: [10, 10]")));
    }

    [Fact]
    public void Validate_NoShadowTrafficWithAuto_IsRefused()
    {
        Assert.Equal(["routes[0].migration.shadow_rate: 0 sends no shadow calls, so the gates never get a sample and auto: true never advances; set a rate above 0 or auto: false"],
            ErrorsOf(WithMigration("shadow_rate: 0, auto: true")));

        // Without auto, an operator may advance by hand: no shadow traffic is allowed then.
        Assert.Equal(0.0, ConfigLoader.Parse(WithMigration("shadow_rate: 0, auto: false")).Routes[0].Migration!.ShadowRate);
    }

    [Fact]
    public void Validate_OtherGateAndRateBounds_AreChecked()
    {
        var errors = ErrorsOf(WithMigration("judge: old, judge_rate: 2, compare: { min_similarity: 1.5 }, gates: { max_error_rate: 5, min_judge_score: 7, max_p95_ratio: 0, max_cost_per_request: -1, max_p95_ms: -5 }"));
        Assert.Equal(
        [
            "routes[0].migration.compare.min_similarity: must be between 0 and 1",
            "routes[0].migration.judge_rate: must be between 0 and 1",
            "routes[0].migration.gates.min_judge_score: must be between 1 and 5 (judge scores run from 1 to 5)",
            "routes[0].migration.gates.max_error_rate: must be between 0 and 1 (a share: 0.02 means 2 %)",
            "routes[0].migration.gates.max_p95_ms: must be positive",
            "routes[0].migration.gates.max_p95_ratio: must be positive",
            "routes[0].migration.gates.max_cost_per_request: must be zero or more",
        ], errors);
    }

    [Fact]
    public void Validate_SensibleMigration_IsAccepted()
    {
        var config = ConfigLoader.Parse(WithMigration("auto: true, shadow_rate: 0.2, canary_steps: [1, 10, 50], gates: { min_agreement: 0.95, max_error_rate: 0.01 }"));
        Assert.Equal([1.0, 10.0, 50.0], config.Routes[0].Migration!.CanarySteps);
    }

    [Fact]
    public void Warnings_AdminKeyEnvironmentVariableUnset_IsNamedWithItsPath()
    {
        const string unset = "TANDEM_TEST_ADMIN_KEY_NEVER_SET_4711";
        var config = ConfigLoader.Parse($"auth: {{ disabled: true, admin_key_env: {unset} }}");
        Assert.Equal([$"auth.admin_key_env: environment variable '{unset}' is not set; the admin API (/admin/*) will refuse every request"],
            ConfigValidator.Warnings(config));

        Assert.Empty(ConfigValidator.Warnings(ConfigLoader.Parse("auth: { disabled: true }")));
        // A hash configured beside it is used instead: nothing to warn about.
        Assert.Empty(ConfigValidator.Warnings(ConfigLoader.Parse(
            $"auth: {{ disabled: true, admin_key_env: {unset}, admin_key_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 }}")));
    }

    [Fact]
    public void Parse_ForATool_NeedsNoGatewayKeysAndKeepsNone()
    {
        const string yaml = """
            auth:
              keys:
                - name: ci
                  key_env: TANDEM_TEST_TOOL_KEY_NEVER_SET
                  routes: [nowhere]
            providers: [ { name: p, base_url: "http://127.0.0.1:9/v1" } ]
            deployments: [ { name: d, provider: p, model: m } ]
            """;
        Assert.Equal(
        [
            "auth.keys[0].key_env: environment variable 'TANDEM_TEST_TOOL_KEY_NEVER_SET' is not set",
            "auth.keys[0].routes[0]: unknown route or deployment 'nowhere'",
        ], ErrorsOf(yaml));

        var forTool = ConfigLoader.Parse(yaml, ConfigUse.Tool);
        Assert.True(forTool.Auth.Disabled);
        Assert.Empty(forTool.Auth.Keys);
        Assert.Equal("d", forTool.Deployments.Single().Name);
    }
}
