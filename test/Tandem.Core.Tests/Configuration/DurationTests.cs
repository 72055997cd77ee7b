using Tandem.Configuration;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Configuration;

/// <summary>The one duration parser and the validator's bounds on durations (issue 18, item 10a).</summary>
public sealed class DurationTests
{
    private static string Provider(string timeouts, string resilience = "") => $$"""
        auth: { disabled: true }
        providers:
          - name: p
            base_url: http://127.0.0.1:9/v1
            timeouts: { {{timeouts}} }
        deployments:
          - name: d
            provider: p
            model: m
            {{resilience}}
        routes: [ { name: r, deployment: d } ]
        """;

    [Theory]
    [InlineData("1e300s")]
    [InlineData("1e300d")]
    [InlineData("99999999999999999999d")]
    [InlineData("1e15ms")]
    [InlineData("NaNs")]
    [InlineData("NaN")]
    [InlineData("Infinitys")]
    [InlineData("-1s")]
    [InlineData("-Infinityd")]
    [InlineData("s")]
    [InlineData("")]
    [InlineData("fast")]
    public void TryParseDuration_NonFiniteNegativeOrOverflowing_IsRefusedWithoutThrowing(string text)
    {
        Assert.False(ConfigLoader.TryParseDuration(text, out var value));
        Assert.Equal(TimeSpan.Zero, value);
    }

    [Theory]
    [InlineData("10675199d")] // TimeSpan.MaxValue is 10,675,199.02 days: the largest whole number of days still fits
    [InlineData("0.5ms")]
    [InlineData("0s")]
    public void TryParseDuration_LargestAndSmallest_AreRead(string text)
    {
        Assert.True(ConfigLoader.TryParseDuration(text, out _));
    }

    [Theory]
    [InlineData("800ms", 800)]
    [InlineData("2s", 2000)]
    [InlineData("1.5m", 90000)]
    [InlineData("1d", 86400000)]
    public void TryParseDuration_RequireUnit_ReadsValuesWithAUnit(string text, double ms)
    {
        Assert.True(ConfigLoader.TryParseDuration(text, requireUnit: true, out var d));
        Assert.Equal(ms, d.TotalMilliseconds);
    }

    [Theory]
    [InlineData("800")]
    [InlineData("2")]
    [InlineData("0.5")]
    public void TryParseDuration_RequireUnit_RefusesBareNumbers(string text)
    {
        Assert.False(ConfigLoader.TryParseDuration(text, requireUnit: true, out _));
        Assert.True(ConfigLoader.TryParseDuration(text, out _)); // a bare number is seconds in configuration files
    }

    [Theory]
    [InlineData("first_byte: 1e300s", "providers[0].timeouts.first_byte: '1e300s' is too long (at most 24d)")]
    [InlineData("first_byte: 99999999999999999999d", "providers[0].timeouts.first_byte: '99999999999999999999d' is too long (at most 24d)")]
    [InlineData("first_byte: NaNs", "providers[0].timeouts.first_byte: 'NaNs' is not a positive duration (e.g. 500ms, 5s, 2m)")]
    [InlineData("idle: 25d", "providers[0].timeouts.idle: '25d' is too long (at most 24d)")]
    [InlineData("connect: -1s", "providers[0].timeouts.connect: '-1s' is not a positive duration (e.g. 500ms, 5s, 2m)")]
    public void Parse_BadTimeout_IsAConfigErrorWithItsPath(string timeouts, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Provider(timeouts)));
        Assert.Equal(expected, Assert.Single(e.Errors));
    }

    [Fact]
    public void Parse_FirstByteLongerThanTotal_IsRefused()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Provider("first_byte: 60s, total: 10s")));
        Assert.Equal("providers[0].timeouts.first_byte: '60s' is longer than timeouts.total '10s'; the total bounds the whole upstream exchange", Assert.Single(e.Errors));
        Assert.NotNull(ConfigLoader.Parse(Provider("first_byte: 10s, total: 10s")));
    }

    [Theory]
    [InlineData("resilience: { breaker: { window: 25h } }", "deployments[0].resilience.breaker.window: '25h' is too long (at most 1d)")]
    [InlineData("resilience: { breaker: { break_for: 2d } }", "deployments[0].resilience.breaker.break_for: '2d' is too long (at most 1d)")]
    [InlineData("resilience: { retry_backoff: 1e9s }", "deployments[0].resilience.retry_backoff: '1e9s' is too long (at most 1d)")]
    [InlineData("resilience: { max_retry_after: 90000s }", "deployments[0].resilience.max_retry_after: '90000s' is too long (at most 1d)")]
    public void Parse_ResilienceDurationsBeyondWhatTheBreakerAccepts_AreRefused(string resilience, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Provider("connect: 1s", resilience)));
        Assert.Equal(expected, Assert.Single(e.Errors));
    }

    [Fact]
    public void Build_LongestAcceptedDurations_GiveAWorkingSnapshot()
    {
        // Every bound the validator allows must be one the runtime (sockets, timers, Polly) accepts as well.
        var config = ConfigLoader.Parse(Provider("connect: 24d, first_byte: 24d, total: 24d, idle: 24d",
            "resilience: { retry_backoff: 1d, max_retry_after: 1d, breaker: { window: 1d, break_for: 1d } }"));
        var snapshot = GatewaySnapshot.Build(config, null);
        Assert.True(snapshot.Deployments.ContainsKey("d"));
        foreach (var p in snapshot.Providers.Values)
        {
            p.Dispose();
        }
    }
}
