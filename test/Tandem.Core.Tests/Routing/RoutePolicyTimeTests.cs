using Microsoft.Extensions.Time.Testing;
using Tandem.Configuration;
using Tandem.Routing;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Routing;

public sealed class RoutePolicyTimeTests
{
    private const string Config = """
        auth: { disabled: true }
        providers:
          - { name: cloud, base_url: "http://127.0.0.1:1/v1" }
          - { name: onprem, base_url: "http://127.0.0.1:2/v1" }
        deployments:
          - { name: api, provider: cloud, model: m }
          - { name: gpu, provider: onprem, model: m }
        routes:
          - name: r
            deployment: gpu
            rules:
              - { name: night, when: { time: "22:00-07:00", tz: Europe/Berlin }, deployment: api }
        """;

    private static RequestView Request() => RequestView.For("""{"model":"r","messages":[{"role":"user","content":"hi"}]}""");

    [Fact]
    public void Decide_TimeRule_FollowsTheSnapshotClockAcrossTheWindowBounds()
    {
        // Winter: the Berlin night 22:00-07:00 is 21:00-06:00 UTC.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 15, 20, 59, 59, TimeSpan.Zero));
        var policy = GatewaySnapshot.Build(ConfigLoader.Parse(Config), null, new RuntimeServices { Time = clock }).Routes["r"].Policy;

        var before = policy.Decide(Request());
        clock.Advance(TimeSpan.FromSeconds(1)); // 21:00:00 UTC = 22:00 Berlin
        var start = policy.Decide(Request());
        clock.Advance(TimeSpan.FromHours(9) - TimeSpan.FromSeconds(1)); // 05:59:59 UTC
        var last = policy.Decide(Request());
        clock.Advance(TimeSpan.FromSeconds(1)); // 06:00:00 UTC = 07:00 Berlin
        var after = policy.Decide(Request());

        Assert.Equal(("gpu", "route r -> gpu"), (before.Chain[0].Name, before.Reason));
        Assert.Equal(("api", "rule night -> api"), (start.Chain[0].Name, start.Reason));
        Assert.Equal("api", last.Chain[0].Name);
        Assert.Equal(("gpu", "route r -> gpu"), (after.Chain[0].Name, after.Reason));
    }
}
