using System.Text;
using System.Text.Json.Nodes;
using Tandem.Configuration;
using Tandem.Core.Tests.Upstream;
using Tandem.Upstream;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Providers.Anthropic;

/// <summary>The adapter inside the seam (a scripted handler instead of sockets), and its configuration.</summary>
public sealed class AnthropicAdapterTests
{
    private static string Config(string provider = "", string deployment = "") => $$"""
        auth: { disabled: true }
        providers:
          - name: claude
            type: anthropic
            base_url: "https://api.anthropic.test/v1"
            headers: { x-team: support }
            {{provider}}
        deployments:
          - { name: haiku, provider: claude, model: claude-haiku-4-5, resilience: { retries: 0 }{{deployment}} }
        routes:
          - { name: r, deployment: haiku }
        """;

    private static UpstreamRequest Chat(string body) =>
        UpstreamRequest.Parse(ApiOperation.ChatCompletions, Encoding.UTF8.GetBytes(body), UpstreamPurpose.Client, "req-1");

    [Fact]
    public async Task SendAsync_PostsToMessages_WithVersionBetaAndDeploymentDefaultMaxTokens()
    {
        var fake = new FakeUpstream();
        HttpRequestMessage? sent = null;
        string? body = null;
        fake.Script("claude", async (message, _) =>
        {
            sent = message;
            body = await message.Content!.ReadAsStringAsync();
            return FakeUpstream.Json(200, """{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001","content":[{"type":"text","text":"Hi!"}],"stop_reason":"end_turn","usage":{"input_tokens":9,"output_tokens":2}}""");
        });
        var deployment = fake.Build(Config("anthropic: { version: \"2023-06-01\", beta: [prompt-caching-2024-07-31, output-128k-2025-02-19], default_max_tokens: 100 }", ", anthropic: { default_max_tokens: 250 }")).Deployments["haiku"];

        using var result = await deployment.Invoker.SendAsync(Chat("""{"model":"r","messages":[{"role":"user","content":"hi"}]}"""), Ct);

        Assert.True(result.IsSuccess);
        Assert.Equal("https://api.anthropic.test/v1/messages", sent!.RequestUri!.ToString());
        Assert.Equal("2023-06-01", sent.Headers.GetValues("anthropic-version").Single());
        Assert.Equal("prompt-caching-2024-07-31,output-128k-2025-02-19", sent.Headers.GetValues("anthropic-beta").Single());
        Assert.Equal("support", sent.Headers.GetValues("x-team").Single());
        Assert.False(sent.Headers.Contains("x-api-key")); // no api_key_env configured
        Assert.Equal("""{"model":"claude-haiku-4-5","max_tokens":250,"messages":[{"role":"user","content":"hi"}]}""", body);
        var completion = JsonNode.Parse(result.Buffered.Span)!;
        Assert.Equal(("chat.completion", "claude-haiku-4-5-20251001", "Hi!"), ((string?)completion["object"], (string?)completion["model"], (string?)completion["choices"]![0]!["message"]!["content"]));
        Assert.Equal(11, (int)completion["usage"]!["total_tokens"]!);
    }

    [Fact]
    public async Task SendAsync_Overloaded529_IsAServerErrorThatFallsBack()
    {
        var fake = new FakeUpstream();
        fake.Script("claude", _ => FakeUpstream.Json(529, """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"""));
        var deployment = fake.Build(Config()).Deployments["haiku"];

        using var result = await deployment.Invoker.SendAsync(Chat("""{"model":"r","messages":[{"role":"user","content":"hi"}]}"""), Ct);

        var failure = result.Failure!;
        Assert.Equal((FailureKind.ServerError, 502, "upstream_error", 529), (failure.Kind, failure.Status, failure.Code, failure.UpstreamStatus));
        Assert.Equal("Deployment 'haiku' failed with HTTP 529: Overloaded", failure.Message);
    }

    [Fact]
    public async Task SendAsync_PromptTooLong_IsAContextLengthFailure_WithAnOpenAiShapedAnswer()
    {
        var fake = new FakeUpstream();
        fake.Script("claude", _ => FakeUpstream.Json(400, """{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"},"request_id":"req_1"}"""));
        var deployment = fake.Build(Config()).Deployments["haiku"];

        using var result = await deployment.Invoker.SendAsync(Chat("""{"model":"r","messages":[{"role":"user","content":"hi"}]}"""), Ct);

        var failure = result.Failure!;
        Assert.Equal((FailureKind.ContextLength, 400, "context_length_exceeded"), (failure.Kind, failure.Status, failure.Code));
        Assert.Equal("prompt is too long: 208310 tokens > 200000 maximum", failure.Message);
        Assert.Null(failure.Body); // Anthropic's body is not OpenAI's: the client gets an OpenAI error built from the message.
    }

    [Fact]
    public async Task SendAsync_Untranslatable_400WithoutCallingAnthropic()
    {
        var fake = new FakeUpstream();
        var deployment = fake.Build(Config()).Deployments["haiku"];

        using var result = await deployment.Invoker.SendAsync(Chat("""{"model":"r","logprobs":true,"messages":[{"role":"user","content":"hi"}]}"""), Ct);

        Assert.Equal((FailureKind.Untranslatable, 400, "unsupported_parameter", "logprobs"), (result.Failure!.Kind, result.Failure.Status, result.Failure.Code, result.Failure.Param));
        Assert.Equal(0, fake.Calls("claude"));
    }

    [Fact]
    public async Task SendAsync_Embeddings_RefusedAsUnsupportedOperation()
    {
        var deployment = new FakeUpstream().Build(Config()).Deployments["haiku"];
        var request = UpstreamRequest.Parse(ApiOperation.Embeddings, """{"model":"r","input":"hi"}"""u8.ToArray(), UpstreamPurpose.Client);

        using var result = await deployment.Invoker.SendAsync(request, Ct);

        Assert.Equal((400, "unsupported_operation"), (result.Failure!.Status, result.Failure.Code));
    }

    [Theory]
    [InlineData("anthropic: { default_max_tokens: 0 }", "", "providers[0].anthropic.default_max_tokens: must be positive")]
    [InlineData("anthropic: { json_schema: grammar }", "", "providers[0].anthropic.json_schema: unknown mode 'grammar' (expected 'native' or 'tool')")]
    [InlineData("anthropic: { version: \"\" }", "", "providers[0].anthropic.version: required (the anthropic-version header, e.g. 2023-06-01)")]
    [InlineData("anthropic: { beta: [\"a,b\"] }", "", "providers[0].anthropic.beta[0]: 'a,b' is not a beta feature name")]
    [InlineData("", ", anthropic: { default_max_tokens: -5 }", "deployments[0].anthropic.default_max_tokens: must be positive")]
    public void Validate_BadAnthropicSettings_NamedWithTheirPath(string provider, string deployment, string error)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Config(provider, deployment)));

        Assert.Equal([error], e.Errors);
    }

    [Fact]
    public void Validate_AnthropicSettingsOnAnotherType_AreRefused()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            auth: { disabled: true }
            providers:
              - { name: oa, base_url: "http://127.0.0.1:9/v1", anthropic: { version: "2023-06-01" } }
            deployments:
              - { name: d, provider: oa, model: m, anthropic: { default_max_tokens: 10 } }
            routes:
              - { name: r, deployment: d }
            """));

        Assert.Equal(["providers[0].anthropic: only for providers of type 'anthropic'", "deployments[0].anthropic: only for deployments on a provider of type 'anthropic'"], e.Errors);
    }

    [Fact]
    public void Parse_AnthropicSettings_Defaults()
    {
        var config = ConfigLoader.Parse(Config());

        Assert.Equal(ProviderTypes.Anthropic, config.Providers[0].Type);
        Assert.Null(config.Providers[0].Anthropic);
        var defaults = new AnthropicConfig();
        Assert.Equal(("2023-06-01", 4096, "native"), (defaults.Version, defaults.DefaultMaxTokens, defaults.JsonSchema));
    }
}
