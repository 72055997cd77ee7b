using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.Cli.Commands;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// <c>tandem feedback export</c> scrubs personal data by default: content captured in clear (capture: full) leaves
/// Tandem masked with the detector's placeholders, the route's own patterns included; <c>--no-scrub</c> exports it
/// as captured and prints a warning saying so.
/// </summary>
public sealed class ExportScrubTests
{
    // 4111 1111 1111 1111 passes Luhn (the classic test card); DE89 3704 0044 0532 0130 00 is the IBAN standard's own
    // example (mod-97 remainder 1). Both worked out by hand, not by Tandem.
    private const string Prompt = "Refund ana.lopez@example.com card 4111 1111 1111 1111 to DE89 3704 0044 0532 0130 00 for EMP-123456";
    private const string Answer = "Done for EMP-123456, receipt sent to ana.lopez@example.com";

    private const string Config = """
        auth:
          keys: [ { name: app, key: sk-test-key-123456 } ]
        providers:
          - { name: sim, base_url: "{sim0}" }
        deployments:
          - { name: gpt, provider: sim, model: gpt-4o-mini }
        routes:
          - name: intent
            deployment: gpt
            capture: full
            patterns: { employee_id: 'EMP-\d{6}' }
        """;

    private static async Task<(int Code, string Out, string Err)> CliAsync(Command command, params string[] args)
    {
        var root = new RootCommand("test") { command };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, Ct);
        return (code, output.ToString(), error.ToString());
    }

    private static async Task<TestGateway> GatewayWithOneRatedAnswerAsync(SimulatorServer sim)
    {
        var gateway = await TestGateway.StartAsync(Config, sim);
        var body = new JsonObject { ["model"] = "intent", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = Prompt }) };
        using var response = await gateway.Http.PostAsync("v1/chat/completions", Json(body.ToJsonString()), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using (var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)))
        {
            Assert.Equal(Answer, doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        }

        var feedback = new JsonObject { ["request_id"] = response.Headers.GetValues("x-request-id").Single(), ["rating"] = "up" };
        using var rated = await gateway.Http.PostAsync("v1/feedback", Json(feedback.ToJsonString()), Ct);
        Assert.Equal(HttpStatusCode.Created, rated.StatusCode);
        return gateway;
    }

    private static List<string> Lines(string directory) =>
        [.. File.ReadAllLines(Path.Combine(directory, "train.jsonl")), .. File.ReadAllLines(Path.Combine(directory, "validation.jsonl"))];

    [Fact]
    public async Task FeedbackExport_ByDefault_MasksEmailCardIbanAndTheRoutesPattern()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { [Prompt] = Answer } }, cancellationToken: Ct);
        await using var gateway = await GatewayWithOneRatedAnswerAsync(sim);
        using var dir = new TempDir("tandem-export-scrub-");

        var (code, output, error) = await CliAsync(FeedbackCommand.Create(), "feedback", "export", "--route", "intent", "--out", dir.File("sft"), "--config", gateway.ConfigPath);

        Assert.True(code == 0, output + error);
        Assert.Equal("", error);
        Assert.Equal(
            ["""{"messages":[{"role":"user","content":"Refund [email] card [card] to [iban] for [employee_id]"},{"role":"assistant","content":"Done for [employee_id], receipt sent to [email]"}]}"""],
            Lines(dir.File("sft")));
        var written = string.Concat(Directory.GetFiles(dir.File("sft")).Select(File.ReadAllText));
        Assert.DoesNotContain("ana.lopez", written, StringComparison.Ordinal);
        Assert.DoesNotContain("EMP-123456", written, StringComparison.Ordinal);
        using var card = JsonDocument.Parse(await File.ReadAllTextAsync(dir.File("sft/dataset-card.json"), Ct));
        Assert.True(card.RootElement.GetProperty("settings").GetProperty("scrubbed").GetBoolean());
    }

    [Fact]
    public async Task FeedbackExport_NoScrub_KeepsTheContentAndWarns()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { [Prompt] = Answer } }, cancellationToken: Ct);
        await using var gateway = await GatewayWithOneRatedAnswerAsync(sim);
        using var dir = new TempDir("tandem-export-scrub-");

        var (code, output, error) = await CliAsync(FeedbackCommand.Create(), "feedback", "export", "--route", "intent", "--no-scrub", "--out", dir.File("sft"), "--config", gateway.ConfigPath);

        Assert.True(code == 0, output + error);
        Assert.Equal(
            "tandem feedback export: warning: --no-scrub: prompts, answers and corrections leave Tandem unscrubbed (personal data is written as captured)" + Environment.NewLine,
            error);
        Assert.Equal(
            ["""{"messages":[{"role":"user","content":"Refund ana.lopez@example.com card 4111 1111 1111 1111 to DE89 3704 0044 0532 0130 00 for EMP-123456"},{"role":"assistant","content":"Done for EMP-123456, receipt sent to ana.lopez@example.com"}]}"""],
            Lines(dir.File("sft")));
        using var card = JsonDocument.Parse(await File.ReadAllTextAsync(dir.File("sft/dataset-card.json"), Ct));
        Assert.False(card.RootElement.GetProperty("settings").GetProperty("scrubbed").GetBoolean());
    }

    [Fact]
    public async Task FeedbackExport_ScrubAndNoScrub_IsAUsageError()
    {
        using var dir = new TempDir("tandem-export-scrub-");
        var (code, _, error) = await CliAsync(FeedbackCommand.Create(), "feedback", "export", "--route", "intent", "--scrub", "--no-scrub", "--out", dir.File("out"), "--config", dir.File("none.yaml"));

        Assert.Equal(2, code);
        Assert.Equal("tandem feedback export: --scrub and --no-scrub contradict each other" + Environment.NewLine, error);
        Assert.False(Directory.Exists(dir.File("out")));
    }
}
