using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Server;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>LoRA adapters on a simulated vLLM: refusals, reloading onto a restarted replica, persistence across gateway restarts.</summary>
public sealed class AdapterTests
{
    private const string AdminKey = "admin-key-adapters-1";

    private const string Config = """
        auth:
          admin_key_env: TANDEM_TEST_ADAPTERS_ADMIN_KEY
          keys: [ { name: app, key: sk-test-key-123456 } ]
        providers:
          - name: vllm
            base_url: "{sim0}"
            endpoints: [ "{sim0}", "{sim1}" ]
          - { name: plain, base_url: "{sim0}", type: anthropic }
        deployments:
          - { name: llama-8b, provider: vllm, model: llama-3.1-8b-instruct }
          - { name: claude, provider: plain, model: claude-3-5-haiku-latest }
        routes:
          - { name: intent, deployment: llama-8b }
        """;

    private static HttpClient Admin(Uri baseAddress)
    {
        var admin = new HttpClient { BaseAddress = baseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return admin;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> RegisterAsync(HttpClient admin, string name, string baseDeployment, string path)
    {
        var body = new JsonObject { ["name"] = name, ["base"] = baseDeployment, ["path"] = path };
        using var response = await admin.PostAsync("admin/adapters", Json(body.ToJsonString()), Ct);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return (response.StatusCode, doc.RootElement.Clone());
    }

    private static string AdapterDir(TempDir dir, string name)
    {
        var path = dir.File(name);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "adapter_config.json"), """{"peft_type":"LORA","r":8}""");
        File.WriteAllText(Path.Combine(path, "answers.jsonl"), """{"input":"I lost my card","answer":"card_lost"}""" + "\n" + """{"input":"what is my balance","answer":"balance"}""" + "\n");
        File.WriteAllText(Path.Combine(path, "simulator.json"), """{"accuracy":1.0,"answers":"answers.jsonl"}""");
        return path;
    }

    private static async Task<SimulatorServer> VllmAsync() => await SimulatorServer.StartAsync(new SimulatorOptions
    {
        Models = ["llama-3.1-8b-instruct"], RuntimeLoraUpdating = true,
        Answers = new Dictionary<string, string> { ["I lost my card"] = "balance", ["what is my balance"] = "card_lost" }, Accuracy = 1.0,
    }, cancellationToken: Ct);

    [Fact]
    public async Task Register_BadRequests_AreRefusedWithTheirField()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADAPTERS_ADMIN_KEY", AdminKey);
        await using var a = await VllmAsync();
        await using var b = await VllmAsync();
        await using var gateway = await TestGateway.StartAsync(Config, a, b);
        using var admin = Admin(gateway.App.BaseAddress);
        using var dir = new TempDir("tandem-adapters-");
        var good = AdapterDir(dir, "good");

        var cases = new (string Name, string Base, string Path, HttpStatusCode Status, string Param, string Code)[]
        {
            ("bad name!", "llama-8b", good, HttpStatusCode.BadRequest, "name", "invalid_value"),
            ("v1", "nope", good, HttpStatusCode.NotFound, "base", "deployment_not_found"),
            ("v1", "claude", good, HttpStatusCode.BadRequest, "base", "unsupported_provider"),
            ("v1", "llama-8b", dir.File("missing"), HttpStatusCode.BadGateway, "path", "adapter_load_failed"),
        };
        foreach (var c in cases)
        {
            var (status, body) = await RegisterAsync(admin, c.Name, c.Base, c.Path);
            Assert.True(c.Status == status, body.ToString());
            Assert.Equal((c.Param, c.Code), (body.GetProperty("error").GetProperty("param").GetString(), body.GetProperty("error").GetProperty("code").GetString()));
        }

        Assert.False(gateway.App.State.Current.Deployments.ContainsKey("llama-8b+v1"));
        using var unknown = await admin.DeleteAsync("admin/adapters/never", Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        // A name is a version: the same registration again is accepted, new weights under the same name are not.
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(admin, "v1", "llama-8b", good)).Status);
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(admin, "v1", "llama-8b", good)).Status);
        var (conflict, refusal) = await RegisterAsync(admin, "v1", "llama-8b", AdapterDir(dir, "other"));
        Assert.Equal((HttpStatusCode.Conflict, "adapter_exists"), (conflict, refusal.GetProperty("error").GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Register_OneReplicaRefuses_NoReplicaKeepsTheAdapter()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADAPTERS_ADMIN_KEY", AdminKey);
        await using var a = await VllmAsync();
        await using var b = await VllmAsync();
        b.Options.RuntimeLoraUpdating = false;
        await using var gateway = await TestGateway.StartAsync(Config, a, b);
        using var admin = Admin(gateway.App.BaseAddress);
        using var dir = new TempDir("tandem-adapters-");

        var (status, body) = await RegisterAsync(admin, "v1", "llama-8b", AdapterDir(dir, "v1"));

        Assert.Equal((HttpStatusCode.BadGateway, "adapter_load_failed"), (status, body.GetProperty("error").GetProperty("code").GetString()));
        Assert.Empty(a.LoadedAdapters);
        Assert.Empty(b.LoadedAdapters);
        Assert.False(gateway.App.State.Current.Deployments.ContainsKey("llama-8b+v1"));
        using var listed = await admin.GetAsync("admin/adapters", Ct);
        Assert.Equal("""{"adapters":[]}""", await listed.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Adapter_ServesItsOwnAnswers_IsReloadedOntoARestartedReplica_AndSurvivesAGatewayRestart()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADAPTERS_ADMIN_KEY", AdminKey);
        await using var a = await VllmAsync();
        await using var b = await VllmAsync();
        using var dir = new TempDir("tandem-adapters-");
        var path = AdapterDir(dir, "intent-v2");
        await using (var gateway = await TestGateway.StartAsync(Config, a, b))
        {
            using var admin = Admin(gateway.App.BaseAddress);
            var (status, registered) = await RegisterAsync(admin, "intent-v2", "llama-8b", path);
            Assert.True(status == HttpStatusCode.Created, registered.ToString());
            Assert.Equal("llama-8b+intent-v2", registered.GetProperty("deployment").GetString());
            Assert.Equal(["intent-v2"], a.LoadedAdapters);
            Assert.Equal(["intent-v2"], b.LoadedAdapters);

            // The base and the adapter answer differently: each with its own answer key.
            Assert.Equal("balance", await AskAsync(gateway, "llama-8b", "I lost my card"));
            Assert.Equal("card_lost", await AskAsync(gateway, "llama-8b+intent-v2", "I lost my card"));

            // Replica b restarts and forgets its runtime-loaded adapters: the check sees it missing from /models and loads it again.
            using (var http = new HttpClient())
            using (var restart = await http.PostAsync(new Uri(b.BaseAddress, "_sim/restart"), null, Ct))
            {
                Assert.Equal(HttpStatusCode.NoContent, restart.StatusCode);
            }

            Assert.Empty(b.LoadedAdapters);
            // The check runs every 15 s; the admin API runs it now. (The periodic one may have got there first: either way
            // the replica serves the adapter again and the reload is logged.)
            using var sync = await admin.PostAsync("admin/adapters/sync", null, Ct);
            Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
            Assert.Equal(["intent-v2"], b.LoadedAdapters);
            Assert.Equal(["intent-v2"], a.LoadedAdapters);
            Assert.Contains(gateway.Logs.Lines, l => l.Contains("was missing on", StringComparison.Ordinal));

            // A gateway started later on the same configuration and database has the adapter's deployment from the start.
            var restarted = GatewayApp.Create(new GatewayAppOptions
            {
                ConfigPath = gateway.ConfigPath, Urls = "http://127.0.0.1:0", WatchConfig = false, LoggerProvider = new TestLoggerProvider(), MinimumLogLevel = LogLevel.Warning,
            });
            await using (restarted)
            {
                Assert.True(restarted.State.Current.Deployments.ContainsKey("llama-8b+intent-v2"));
                await restarted.StartAsync(Ct);
            }
        }
    }

    private static async Task<string> AskAsync(TestGateway gateway, string model, string text)
    {
        var body = new JsonObject { ["model"] = model, ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }) };
        using var response = await gateway.Http.PostAsync("v1/chat/completions", Json(body.ToJsonString()), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }
}
