using System.Text;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Wire;

public sealed class OpenAiErrorTests
{
    [Theory]
    [InlineData("""{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}""", "Rate limit reached")]
    [InlineData("""{"error":{"code":"content_filter","message":"filtered","param":"prompt","type":null,"status":400}}""", "filtered")]
    [InlineData("""{"error":{"message":"no code"}}""", "no code")]
    public void MessageOf_OpenAiShapedBody_IsItsMessage(string body, string message)
    {
        Assert.Equal(message, OpenAiError.MessageOf(Encoding.UTF8.GetBytes(body)));
    }

    [Theory]
    [InlineData("""{"type":"error","error":{"type":"rate_limit_error","message":"slow down"},"request_id":"req_1"}""")] // Anthropic
    [InlineData("""{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}""")] // Google
    [InlineData("""{"detail":{"message":"nested elsewhere"}}""")]
    [InlineData("""{"object":"error","message":"vLLM style"}""")]
    [InlineData("not json")]
    [InlineData("""[{"error":{"message":"a list"}}]""")]
    public void MessageOf_OtherShapes_Null(string body)
    {
        Assert.Null(OpenAiError.MessageOf(Encoding.UTF8.GetBytes(body)));
    }
}
