using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// `migrate status` keeps its history (issue 18, item 9): gate evaluations used to be appended as events on every
/// tick and the status showed the last 20 events, so the start and the stage changes vanished after 20 ticks.
/// </summary>
public sealed class MigrationHistoryTests
{
    private const string AdminKey = "admin-key-history-1234";

    private const string Config = """
        auth:
          admin_key_env: TANDEM_HISTORY_ADMIN_KEY
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - { name: sim, base_url: "{sim0}" }
        deployments:
          - { name: gpt-4o-mini, provider: sim, model: gpt-4o-mini }
          - { name: llama-8b, provider: sim, model: llama }
        routes:
          - name: intent
            deployment: gpt-4o-mini
            migration: { to: llama-8b, stage: shadow, evaluate_every: 1h }
        """;

    [Fact]
    public async Task Status_AfterManyEvaluations_StillShowsEveryStageChange_EvaluationsAsRuns_AndPages()
    {
        Environment.SetEnvironmentVariable("TANDEM_HISTORY_ADMIN_KEY", AdminKey);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, sim);
        using var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        // 25 evaluations in shadow (no samples: the same failing outcome each time), an advance, 3 in canary.
        for (var i = 0; i < 25; i++)
        {
            (await admin.PostAsync("admin/migrations/intent/evaluate", null, Ct)).EnsureSuccessStatusCode();
        }

        (await admin.PostAsync("admin/migrations/intent/advance", null, Ct)).EnsureSuccessStatusCode();
        for (var i = 0; i < 3; i++)
        {
            (await admin.PostAsync("admin/migrations/intent/evaluate", null, Ct)).EnsureSuccessStatusCode();
        }

        var m = await StatusAsync(admin, "");
        Assert.Equal([("advance", "shadow", "canary 5%"), ("start", null, "shadow")],
            m.GetProperty("history").EnumerateArray().Select(e => (e.GetProperty("kind").GetString(), e.GetProperty("from").GetString(), e.GetProperty("to").GetString())));
        Assert.Equal(JsonValueKind.Null, m.GetProperty("history_next_before").ValueKind);
        const string failing = "fail: samples, duration, agreement";
        Assert.Equal([("canary 5%", failing, 3), ("shadow", failing, 25)],
            m.GetProperty("evaluations").EnumerateArray().Select(e => (e.GetProperty("stage").GetString(), e.GetProperty("outcome").GetString(), e.GetProperty("count").GetInt32())));

        // One stage change per page, newest first.
        var page1 = await StatusAsync(admin, "?history_limit=1");
        Assert.Equal(["advance"], page1.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
        var next = page1.GetProperty("history_next_before").GetInt64();
        Assert.Equal(page1.GetProperty("history")[0].GetProperty("id").GetInt64(), next);
        var page2 = await StatusAsync(admin, $"?history_limit=1&history_before={next}");
        Assert.Equal(["start"], page2.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal(JsonValueKind.Null, page2.GetProperty("history_next_before").ValueKind);

        foreach (var bad in (string[])["?history_limit=0", "?history_limit=501", "?history_limit=x", "?history_before=-1"])
        {
            using var response = await admin.GetAsync("admin/migrations/intent" + bad, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            Assert.Equal("invalid_parameter", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        }

        // The command line shows the stage changes first, then the evaluation runs, and pages.
        var (code, text) = await CliAsync(gateway, "migrate", "status", "intent", "--history", "1");
        Assert.True(code == 0, text);
        Assert.True(text.IndexOf("advance", StringComparison.Ordinal) < text.IndexOf(failing, StringComparison.Ordinal), text);
        Assert.DoesNotContain("config", text, StringComparison.Ordinal); // the start (trigger config) is on the next page
        Assert.Contains($"older stage changes: tandem migrate status intent --before {next}", text, StringComparison.Ordinal);
        (code, text) = await CliAsync(gateway, "migrate", "status", "intent", "--history", "1", "--before", next.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(code == 0, text);
        Assert.Contains("config", text, StringComparison.Ordinal);
        Assert.DoesNotContain("older stage changes", text, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> StatusAsync(HttpClient admin, string query)
    {
        using var response = await admin.GetAsync("admin/migrations/intent" + query, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.GetProperty("migrations")[0].Clone();
    }

    private static async Task<(int Code, string Output)> CliAsync(TestGateway gateway, params string[] args)
    {
        var root = new System.CommandLine.RootCommand("test") { Tandem.Cli.Commands.MigrateCommand.Create() };
        using var output = new StringWriter();
        var code = await root.Parse([.. args, "--gateway", gateway.App.BaseAddress.ToString(), "--admin-key-env", "TANDEM_HISTORY_ADMIN_KEY"])
            .InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = output }, Ct);
        return (code, output.ToString());
    }
}
