using System.Net;
using System.Net.Http.Headers;
using OpenAI.Chat;
using Tandem.Cli.Commands;
using Tandem.Costs;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Runtime;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

public sealed class CostsTests
{
    private const string AdminKey = "admin-secret-key-987";

    private static string Config => $$"""
        auth:
          admin_key_sha256: {{KeyRing.HashHex(AdminKey)}}
          keys:
            - name: test
              key: sk-test-key-123456
        providers:
          - name: api
            base_url: {sim0}
          - name: gpu
            base_url: {sim1}
        deployments:
          - name: gpt
            provider: api
            model: gpt-4o-mini-2024-07-18
            pricing: { input_per_mtok: 2.00, cached_input_per_mtok: 1.00, output_per_mtok: 8.00 }
          - name: llama
            provider: gpu
            model: llama-3.1-8b-instruct
            pricing: { fixed_monthly: 3000, capacity_tokens_per_second: 100 }
        routes:
          - name: chat
            deployment: gpt
          - name: local
            deployment: llama
        """;

    [Fact]
    public async Task CostsCommandAndAdminApi_PerTokenAndFixedCostTraffic_MatchHandComputation()
    {
        await using var api = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 20 }, cancellationToken: Ct);
        await using var gpu = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 20 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, api, gpu);
        var started = TimeProvider.System.GetUtcNow();

        // "Hello there" is 11 characters: the simulator bills (11 + 16 + 3) / 4 = 7 prompt tokens, and 20 output tokens.
        for (var i = 0; i < 6; i++)
        {
            ChatCompletion c = await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("Hello there")], cancellationToken: Ct);
            Assert.Equal((7, 20), (c.Usage.InputTokenCount, c.Usage.OutputTokenCount));
        }

        for (var i = 0; i < 4; i++)
        {
            ChatCompletion c = await gateway.Chat("local").CompleteChatAsync([new UserChatMessage("Hello there")], cancellationToken: Ct);
            Assert.Equal((7, 20), (c.Usage.InputTokenCount, c.Usage.OutputTokenCount));
        }

        await gateway.WaitForRecordsAsync(10, Ct);

        // By hand. gpt: 6 × (7 × $2 + 20 × $8) / 1M = 6 × $0.000174 = $0.001044. llama: $3000 a month; a 30-day window
        // holds one month of it. Had llama's 4 requests gone to gpt: 4 × $0.000174 = $0.000696.
        const decimal gptSpend = 0.001044m;
        const decimal llamaOnGpt = 0.000696m;
        const decimal fixedWindow = 3000m;
        const long llamaTokens = 4 * (7 + 20);
        var breakEven = 3000m / (llamaOnGpt / llamaTokens); // fixed monthly ÷ blended API price per token = 465,517,241.4 tokens
        var now = TimeProvider.System.GetUtcNow();

        var cli = await CostsCommand.ComputeAsync(gateway.ConfigPath, "30d", "deployment", "gpt", now, Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, "admin/costs?since=30d&by=deployment&baseline=gpt");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var response = await gateway.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var admin = CostReportJson.Deserialize(await response.Content.ReadAsStringAsync(Ct))!;

        foreach (var report in new[] { cli, admin })
        {
            Assert.True(report.Requests == 10, $"{(report == cli ? "cli" : "admin")}: {report.Requests} requests; groups: {string.Join("; ", report.Groups.Select(g => $"{g.Name} {g.Requests}"))}; from {report.From:O} to {report.To:O}; started {started:O}; refused {report.RefusedRequests}");
            Assert.Equal(10, report.Requests);
            var gpt = report.Groups.Single(g => g.Name == "gpt");
            var llama = report.Groups.Single(g => g.Name == "llama");
            Assert.Equal((6L, 42L, 120L, 0.6), (gpt.Requests, gpt.PromptTokens, gpt.CompletionTokens, gpt.TrafficShare));
            Assert.Equal((4L, 28L, 80L, 0.4), (llama.Requests, llama.PromptTokens, llama.CompletionTokens, llama.TrafficShare));
            Assert.Equal(gptSpend, gpt.Spend);
            Assert.Equal(fixedWindow, llama.Spend);
            Assert.Equal(llamaOnGpt, llama.BaselineSpend);
            Assert.Equal(gptSpend + fixedWindow, report.Spend);
            Assert.Equal(fixedWindow, report.FixedSpend);
            Assert.Equal(gptSpend + llamaOnGpt, report.BaselineSpend);
            Assert.Equal(gptSpend + llamaOnGpt - (gptSpend + fixedWindow), report.Savings);
            // Seconds of records: the projection scales the rate seen from the first record (at least one minute) to
            // the report's time, not a whole day's.
            Assert.InRange(report.ObservedDays, 1.0 / 1440, Math.Max(1.0 / 1440, (report.To - started + TimeSpan.FromMilliseconds(1)).TotalDays)); // records keep whole milliseconds
            var perDay = 30m / (decimal)report.ObservedDays;
            Assert.Equal((gptSpend * perDay) + 3000m, report.ProjectedMonthlySpend);
            Assert.Equal(((gptSpend + llamaOnGpt) * perDay) - ((gptSpend * perDay) + 3000m), report.ProjectedMonthlySavings);
            Assert.Contains(report.Notes, n => n.StartsWith("Records cover only the last ", StringComparison.Ordinal) && n.EndsWith(
                " of the window of 30 days, but fixed capacity is charged for the whole window: $3,000.00.", StringComparison.Ordinal));

            var capacity = report.FixedCapacity.Single();
            Assert.Equal(("llama", 3000m, llamaTokens, "gpt"), (capacity.Deployment, capacity.FixedMonthly, capacity.Tokens, capacity.Alternative));
            Assert.Equal(fixedWindow, capacity.WindowCost);
            Assert.Equal(Math.Round(fixedWindow / llamaTokens * 1_000_000m, 6), Math.Round(capacity.EffectiveCostPerMtok!.Value, 6));
            Assert.Equal(Math.Round(llamaOnGpt / llamaTokens * 1_000_000m, 9), Math.Round(capacity.BlendedAlternativePerMtok!.Value, 9));
            Assert.Equal(Math.Round(breakEven, 3), Math.Round(capacity.BreakEvenTokensPerMonth!.Value, 3));
            Assert.Equal(465_517_241.379m, Math.Round(capacity.BreakEvenTokensPerMonth!.Value, 3));
            Assert.Equal(llamaTokens / (100.0 * 30 * 86_400), capacity.Utilisation!.Value, 12);
            Assert.Equal(llamaTokens * perDay, capacity.ObservedTokensPerMonth);
            Assert.Equal(100m * 30 * 86_400, capacity.CapacityTokensPerMonth);
        }

        // Without --baseline each route is compared with its own configured deployment: nothing saved, and llama's
        // route has no API alternative to break even against.
        var incumbents = await CostsCommand.ComputeAsync(gateway.ConfigPath, "30d", "route", null, now, Ct);
        Assert.Equal(incumbents.Spend, incumbents.BaselineSpend);
        Assert.Equal(0m, incumbents.Savings);
        Assert.Equal(["chat", "local"], incumbents.Groups.Select(g => g.Name));
        Assert.Null(incumbents.FixedCapacity.Single().BreakEvenTokensPerMonth);

        // The renderings carry the same figures.
        Assert.Contains("gpt,6,0.6,42,0,120,0,0,0,0.001044,", CostsCommand.Render(cli, "csv"), StringComparison.Ordinal);
        var table = CostsCommand.Render(cli, "table");
        Assert.Contains("465,517,241", table, StringComparison.Ordinal);
        Assert.Contains("$3,000.00", table, StringComparison.Ordinal);
        Assert.Contains("Note: Records cover only the last ", table, StringComparison.Ordinal);

        // An unknown baseline is a usage error that names the option (not an exception's parameter name).
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => CostsCommand.ComputeAsync(gateway.ConfigPath, "30d", "deployment", "nope", now, Ct));
        Assert.Equal("--baseline: 'nope' is not a deployment (configured: gpt, llama)", unknown.Message);
    }

    [Fact]
    public async Task AdminApi_RecordLookupWithAdminKey_RefusedWithoutItOrWithBadParameters()
    {
        await using var api = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gpu = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, api, gpu);

        using var noKey = await gateway.Http.GetAsync("admin/costs", Ct); // the client key is not the admin key
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        using var noKeyRecord = await gateway.Http.GetAsync("admin/records/x", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, noKeyRecord.StatusCode);

        // The admin API finds a record by the request id the client saw.
        using (var mine = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""") })
        {
            mine.Headers.Add("x-request-id", "costs-lookup-1");
            using var served = await gateway.Http.SendAsync(mine, Ct);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        await gateway.RecordAsync("costs-lookup-1", Ct);
        using (var lookup = new HttpRequestMessage(HttpMethod.Get, "admin/records/costs-lookup-1"))
        {
            lookup.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            using var found = await gateway.Http.SendAsync(lookup, Ct);
            Assert.Equal(HttpStatusCode.OK, found.StatusCode);
            var json = System.Text.Json.Nodes.JsonNode.Parse(await found.Content.ReadAsStringAsync(Ct))!;
            Assert.Equal(("chat", "gpt", 200), ((string?)json["route"], (string?)json["deployment"], (int)json["status"]!));
            Assert.Equal("gpt", (string?)json["attempts"]![0]!["deployment"]);
        }

        using (var missing = new HttpRequestMessage(HttpMethod.Get, "admin/records/never-seen"))
        {
            missing.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            using var notFound = await gateway.Http.SendAsync(missing, Ct);
            Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        }

        foreach (var query in new[] { "since=forever", "by=colour", "baseline=nope" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "admin/costs?" + query);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            using var response = await gateway.Http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
    }
}
