using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// The simulator refuses malformed requests with OpenAI's 400 rather than a 500 (issue 18, item 12b), and counts inputs
/// its answers file does not know (item 14).
/// </summary>
public sealed class SimulatorRequestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Raw(string text) =>
        [.. text.Split("\\xFF").SelectMany((part, i) => (i == 0 ? [] : new byte[] { 0xFF }).Concat(Encoding.UTF8.GetBytes(part)))];

    private static async Task<(HttpStatusCode Status, JsonElement Error)> PostAsync(HttpClient http, string path, string body)
    {
        using var content = new ByteArrayContent(Raw(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(path, content, Ct);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var error = doc.RootElement.GetProperty("error").Clone();
        Assert.Equal(["message", "type", "param", "code"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        return (response.StatusCode, error);
    }

    [Theory]
    [InlineData("v1/chat/completions", """{"model":"m","messages":[1,2,3]}""", "messages[0]", "invalid_type")]
    [InlineData("v1/chat/completions", """{"model":"m","messages":"hi"}""", "messages", "invalid_type")]
    [InlineData("v1/chat/completions", """{"model":"m"}""", "messages", "missing_required_parameter")]
    [InlineData("v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":[7]}]}""", "messages[0].content[0]", "invalid_type")]
    [InlineData("v1/chat/completions", """{"model":"m","messages":[{"role":5,"content":"hi"}]}""", "messages[0].role", "invalid_type")]
    [InlineData("v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"caf\xFF"}]}""", null, "invalid_json")]
    [InlineData("v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"\ud800"}]}""", null, "invalid_value")]
    [InlineData("v1/chat/completions", """{"model":"\ud800","messages":[{"role":"user","content":"hi"}]}""", "model", "invalid_value")]
    [InlineData("v1/chat/completions", """{"model":"m","n":"two","messages":[{"role":"user","content":"hi"}]}""", "n", "invalid_value")]
    [InlineData("v1/chat/completions", """{"model":"m","tools":{"type":"function"},"messages":[{"role":"user","content":"hi"}]}""", "tools", "invalid_type")]
    [InlineData("v1/chat/completions", "[1,2]", null, "invalid_type")]
    [InlineData("v1/embeddings", """{"model":"m","input":"hi","dimensions":1e10}""", "dimensions", "invalid_value")]
    [InlineData("v1/embeddings", """{"model":"m","input":"hi","encoding_format":3}""", "encoding_format", "invalid_type")]
    [InlineData("v1/completions", """{"model":"m","prompt":{"text":"once"}}""", "prompt", "invalid_type")]
    public async Task MalformedRequest_Gets400WithTheParam(string path, string body, string? param, string code)
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = sim.BaseAddress };
        var (status, error) = await PostAsync(http, path, body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(1, sim.Stats.Rejected);
    }

    [Fact]
    public async Task MalformedMessages_ThroughTheGateway_AreTheClientsError()
    {
        // Before, the simulator's 500 became a 502 "upstream_error" that counted against the deployment's breaker.
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);
        var (status, error) = await PostAsync(gateway.Http, "v1/chat/completions", """{"model":"chat","messages":[1,2,3]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("messages[0]", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Answers_UnknownInputs_AreCountedAtSim()
    {
        var answers = new Dictionary<string, string> { ["I lost my card"] = "card_lost", ["What is my balance"] = "balance" };
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = 1.0 }, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = sim.BaseAddress };

        async Task<string> AskAsync(string text)
        {
            var body = JsonSerializer.Serialize(new Dictionary<string, object> { ["model"] = "m", ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = text } } });
            using var response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            return doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        }

        Assert.Equal("card_lost", await AskAsync("  I lost my card  "));                                     // whole message, trimmed
        Assert.Equal("balance", await AskAsync("Classify the message.\nWhat is my balance\nLabel:"));       // a line of its own
        Assert.Equal("card_lost", await AskAsync("Classify the message.\nText: I lost my card"));           // after a line's first colon
        Assert.NotEqual("card_lost", await AskAsync("i lost my card"));                                     // exact case only
        Assert.NotEqual("balance", await AskAsync("What is my balance?"));

        using var stats = JsonDocument.Parse(await http.GetStringAsync("_sim", Ct));
        Assert.Equal(3, stats.RootElement.GetProperty("answers_matched").GetInt64());
        Assert.Equal(2, stats.RootElement.GetProperty("answers_unmatched").GetInt64());
        Assert.Equal((3L, 2L), (sim.Stats.AnswersMatched, sim.Stats.AnswersUnmatched));
    }
}
