using System.Text;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Wire;

public sealed class ApiRequestPromptTests
{
    [Theory]
    [InlineData(ApiOperation.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}""", """[{"role":"user","content":"hi"}]""")]
    [InlineData(ApiOperation.Completions, """{"prompt": "Say hello" ,"model":"m"}""", "\"Say hello\"")]
    [InlineData(ApiOperation.Embeddings, """{"model":"m","input":["a","b"]}""", """["a","b"]""")]
    public void PromptJson_KeepsTheRawValueUntilReleased(ApiOperation operation, string body, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = ApiRequest.Parse(bytes, operation, out var problem);
        Assert.True(request is not null, problem.Message);
        Array.Clear(bytes); // the body buffer goes back to its pool before the record is finished
        Assert.Equal(expected, Encoding.UTF8.GetString(request.PromptJson));
        request.ReleasePromptJson();
        Assert.True(request.PromptJson.IsEmpty);
        request.ReleasePromptJson(); // idempotent
    }
}
