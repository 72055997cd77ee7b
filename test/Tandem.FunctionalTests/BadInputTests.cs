using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// Bodies a client controls byte by byte, sent raw to a real gateway: undecodable text in fields the gateway reads and
/// fields given twice get an OpenAI-shaped 400 and never reach the upstream (issue 18, items 6 and 12).
/// </summary>
public sealed class BadInputTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>UTF-8 of <paramref name="text"/> with every <c>\xFF</c> replaced by the single byte 0xFF.</summary>
    private static byte[] Raw(string text) =>
        [.. text.Split("\\xFF").SelectMany((part, i) => (i == 0 ? [] : new byte[] { 0xFF }).Concat(Encoding.UTF8.GetBytes(part)))];

    private static async Task<(HttpStatusCode Status, JsonElement Error)> PostRawAsync(HttpClient http, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(path, content, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(text);
        var error = doc.RootElement.GetProperty("error").Clone();
        Assert.Equal(["message", "type", "param", "code"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        return (response.StatusCode, error);
    }

    [Theory]
    [InlineData("v1/chat/completions", """{"model":"ch\xFFat","messages":[{"role":"user","content":"hi"}]}""", "model", "invalid_value")]
    [InlineData("v1/chat/completions", """{"model":"\ud800","messages":[{"role":"user","content":"hi"}]}""", "model", "invalid_value")]
    [InlineData("v1/chat/completions", """{"model":"chat","user":"u\xFF","messages":[{"role":"user","content":"hi"}]}""", "user", "invalid_value")]
    [InlineData("v1/chat/completions", """{"model":"chat","user":"\ud800","messages":[{"role":"user","content":"hi"}]}""", "user", "invalid_value")]
    [InlineData("v1/chat/completions", """{"model":"chat","metadata":{"team":"\xFF"},"messages":[{"role":"user","content":"hi"}]}""", "metadata", "invalid_value")]
    [InlineData("v1/chat/completions", """{"model":"chat","metadata":{"\xFF":"a"},"messages":[{"role":"user","content":"hi"}]}""", "metadata", "invalid_value")]
    [InlineData("v1/embeddings", """{"model":"ch\xFFat","input":"hi"}""", "model", "invalid_value")]
    [InlineData("v1/chat/completions", """{"model":"chat","messages":[{"role":"user","content":"caf\xFF"}]}""", null, "invalid_json")]
    [InlineData("v1/chat/completions", """{"model":"gpt","model":"chat","messages":[{"role":"user","content":"hi"}]}""", "model", "duplicate_parameter")]
    [InlineData("v1/chat/completions", """{"model":"chat","stream":false,"stream":true,"messages":[{"role":"user","content":"hi"}]}""", "stream", "duplicate_parameter")]
    [InlineData("v1/chat/completions", """{"model":"chat","user":"a","user":"b","messages":[{"role":"user","content":"hi"}]}""", "user", "duplicate_parameter")]
    public async Task RawBody_UndecodableOrDuplicatedField_Gets400WithParamAndNeverReachesTheUpstream(string path, string body, string? param, string code)
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);

        var (status, error) = await PostRawAsync(gateway.Http, path, Raw(body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(0, sim.Stats.Received);

        // The gateway serves the next good request as usual.
        using var good = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(1, sim.Stats.Received);
    }

    [Fact]
    public async Task DuplicateModel_WithAKeyLimitedToOneRoute_IsRefusedBeforeAuthorisationCouldBeFooled()
    {
        // The acceptance case: a key limited to `chat` names another deployment first. A first-wins upstream would
        // have served `gpt` itself, outside the key's scope.
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single.Replace("      key: sk-test-key-123456", "      key: sk-test-key-123456\n      routes: [chat]", StringComparison.Ordinal), sim);

        var (status, error) = await PostRawAsync(gateway.Http, "v1/chat/completions", Raw("""{"model":"gpt-4o-mini-2024-07-18","model":"chat","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Duplicate parameter 'model': send it once.", error.GetProperty("message").GetString());
        Assert.Equal(0, sim.Stats.Received);
    }
}
