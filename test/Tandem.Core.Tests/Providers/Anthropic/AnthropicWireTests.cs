using System.Text;
using Tandem.Providers;
using Tandem.Providers.Anthropic;
using Xunit;
using static Tandem.Core.Tests.Providers.Recordings;

namespace Tandem.Core.Tests.Providers.Anthropic;

public sealed class AnthropicWireTests
{
    [Fact]
    public void ReadError_Recorded429_RateLimitMessage()
    {
        var response = AnthropicSnapshot("d743d628-16aa-4c9f-ae78-51deb578f746.json")[0]!["response"]!;
        Assert.Equal(429, (int)response["status_code"]!);

        var error = AnthropicWire.ReadError(429, Encoding.UTF8.GetBytes(response["body"]!.ToJsonString()));

        Assert.Equal(ProviderErrorKind.Unspecified, error.Kind);
        Assert.StartsWith("This request would exceed your organization's rate limit of 20,000,000 prompt bytes per hour", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadError_Recorded400_InvalidRequestMessage()
    {
        var response = AnthropicSnapshot("f59a9391-643b-422c-96dc-1f28bc7ea4d7.json")[1]!["response"]!;

        var error = AnthropicWire.ReadError(400, Encoding.UTF8.GetBytes(response["body"]!.ToJsonString()));

        Assert.Equal(new ProviderError(
            "messages.0.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01GHndag5wQmbzNihYmV2UBj. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
            ProviderErrorKind.Unspecified), error);
    }

    [Fact]
    public void ReadError_Recorded404_ModelNotFound()
    {
        var response = Cassette("anthropic", "test_model_name_suggestion_anthropic.yaml")[0]!["response"]!;

        var error = AnthropicWire.ReadError(404, Encoding.UTF8.GetBytes(response["parsed_body"]!.ToJsonString()));

        Assert.Equal(new ProviderError("model: claude-sonet-4-5", ProviderErrorKind.Unspecified), error);
    }

    [Theory]
    [InlineData(529, """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", ProviderErrorKind.Overloaded)]
    [InlineData(529, "not json", ProviderErrorKind.Overloaded)]
    [InlineData(400, """{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"}}""", ProviderErrorKind.ContextLength)]
    [InlineData(400, """{"type":"error","error":{"type":"invalid_request_error","message":"input length and `max_tokens` exceed context limit: 199000 + 8192 > 200000, decrease input length or `max_tokens` and try again"}}""", ProviderErrorKind.ContextLength)]
    [InlineData(400, """{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}""", ProviderErrorKind.Unspecified)]
    [InlineData(500, """{"type":"error","error":{"type":"api_error","message":"Internal server error"}}""", ProviderErrorKind.Unspecified)]
    public void ReadError_Kinds(int status, string body, ProviderErrorKind kind)
    {
        Assert.Equal(kind, AnthropicWire.ReadError(status, Encoding.UTF8.GetBytes(body)).Kind);
    }
}
