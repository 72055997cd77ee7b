using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.AI;
using Tandem.Configuration;
using Tandem.Extensions.AI.Tests.Infrastructure;
using Xunit;

namespace Tandem.Extensions.AI.Tests;

public sealed class SplitTests
{
    /// <summary>
    /// The arm a user lands on, worked out apart from Tandem: the route's documented bucketing, XxHash64 of
    /// "route\0user" modulo 10,000 against the cumulative weights (here 50/50: buckets below 5,000 take the first arm).
    /// </summary>
    private static string ExpectedArm(string route, string user) =>
        XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(route + "\0" + user)) % 10_000 < 5_000 ? "model-a" : "model-b";

    [Fact]
    public async Task StickySplit_EachUserStaysOnTheArmOfItsBucket_OverMeaiClients()
    {
        await using var a = await Sims.StartAsync("a");
        await using var b = await Sims.StartAsync("b");
        var sink = new MemorySink();
        var options = new TandemChatClientOptions { UseStorage = false, Records = sink, Route = "chat" }
            .AddDeployment(new DeploymentConfig { Name = "a", Model = "model-a" }, Sims.Client(a, "model-a"))
            .AddDeployment(new DeploymentConfig { Name = "b", Model = "model-b" }, Sims.Client(b, "model-b"))
            .AddRoute(new RouteConfig { Name = "chat", Split = [new SplitArmConfig { Deployment = "a", Weight = 50 }, new SplitArmConfig { Deployment = "b", Weight = 50 }], Sticky = "user" });
        using var client = new ChatClientBuilder(Sims.Unused).UseTandem(options).Build();

        var users = Enumerable.Range(0, 24).Select(i => "user-" + i).ToList();
        foreach (var user in users)
        {
            for (var round = 0; round < 3; round++)
            {
                var response = await client.GetResponseAsync("hello there", new ChatOptions { AdditionalProperties = new() { ["user"] = user } }, Ct);
                Assert.Equal(ExpectedArm("chat", user), response.ModelId);
            }
        }

        var expectedOnA = users.Count(u => ExpectedArm("chat", u) == "model-a");
        Assert.InRange(expectedOnA, 1, users.Count - 1); // both arms are exercised by these users
        Assert.Equal(expectedOnA * 3, a.Stats.Completed);
        Assert.Equal((users.Count - expectedOnA) * 3, b.Stats.Completed);
        var records = sink.Records;
        Assert.Equal(users.Count * 3, records.Count);
        Assert.All(records, r => Assert.Equal((200, "chat", "in-process"), (r.Status, r.Route, r.Key)));
        Assert.All(records, r => Assert.StartsWith("split arm " + r.Deployment + " (bucket ", r.Decision, StringComparison.Ordinal));
    }
}
