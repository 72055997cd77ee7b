using System.Text;
using Tandem.Costs;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Wire;

/// <summary>
/// Text that cannot be decoded, and fields given twice, are refused as the client's error (400) rather than crashing
/// the parser (500) or being read one way here and another way upstream (issue 18, items 6 and 12).
/// </summary>
public sealed class ApiRequestValidationTests
{
    /// <summary>Builds a body from UTF-8 text with <c>\xFF</c> standing for one invalid byte.</summary>
    private static byte[] Bytes(string text)
    {
        var parts = text.Split("\\xFF");
        var bytes = new List<byte>();
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0)
            {
                bytes.Add(0xFF);
            }

            bytes.AddRange(Encoding.UTF8.GetBytes(parts[i]));
        }

        return [.. bytes];
    }

    private static RequestProblem Refused(string body, ApiOperation operation = ApiOperation.ChatCompletions)
    {
        Assert.Null(ApiRequest.Parse(Bytes(body), operation, out var problem));
        return problem;
    }

    [Theory]
    [InlineData("""{"model":"ch\xFFat","messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"\ud800","messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"chat","user":"u\xFF","messages":[{"role":"user","content":"hi"}]}""", "user")]
    [InlineData("""{"model":"chat","user":"\udfff","messages":[{"role":"user","content":"hi"}]}""", "user")]
    [InlineData("""{"model":"chat","metadata":{"team":"a\xFF"},"messages":[{"role":"user","content":"hi"}]}""", "metadata")]
    [InlineData("""{"model":"chat","metadata":{"te\xFFam":"a"},"messages":[{"role":"user","content":"hi"}]}""", "metadata")]
    [InlineData("""{"model":"chat","metadata":{"team":"\ud800x"},"messages":[{"role":"user","content":"hi"}]}""", "metadata")]
    [InlineData("""{"model":"chat","response_format":{"type":"\ud800"},"messages":[{"role":"user","content":"hi"}]}""", "response_format")]
    public void Parse_UndecodableTextInAFieldTandemReads_IsRefusedWithThatParam(string body, string param)
    {
        var problem = Refused(body);
        Assert.Equal((param, "invalid_value"), (problem.Param, problem.Code));
        Assert.Equal($"Invalid value for '{param}': the text is not valid UTF-8 or holds an unpaired surrogate escape (such as \\ud800).", problem.Message);
    }

    [Fact]
    public void Parse_InvalidUtf8Model_OnEmbeddings_IsRefused()
    {
        var problem = Refused("""{"model":"emb\xFF","input":"hi"}""", ApiOperation.Embeddings);
        Assert.Equal(("model", "invalid_value"), (problem.Param, problem.Code));
    }

    [Fact]
    public void Parse_InvalidUtf8InMessageText_IsRefusedAsABodyThatIsNotUtf8()
    {
        var problem = Refused("""{"model":"chat","messages":[{"role":"user","content":"caf\xFF"}]}""");
        Assert.Equal((null, "invalid_json"), (problem.Param, problem.Code));
        Assert.Equal("We could not parse the JSON body of your request: it is not valid UTF-8. JSON text must be encoded as UTF-8.", problem.Message);
    }

    [Fact]
    public void Parse_UnpairedSurrogateInMessageText_IsForwardedAndScannedAroundIt()
    {
        // Escaped surrogates are valid JSON syntax; the upstream decides what to make of them. Tandem must not fail,
        // and sensitive-data rules must still see the text around the bad escape.
        var body = Bytes("""{"model":"chat","messages":[{"role":"user","content":"mail a@example.com \ud800 now"}]}""");
        Assert.NotNull(ApiRequest.Parse(body, ApiOperation.ChatCompletions, out _));
        Assert.Equal("mail a@example.com \\ud800 now", ApiRequest.ExtractText(body));

        var tokenizer = TokenCounter.For("o200k", null);
        var prompt = Bytes("""[{"role":"user","content":"hi \ud800"}]""");
        Assert.Equal(3 + tokenizer.CountTokens("user") + tokenizer.CountTokens("hi \\ud800") + 3, TokenCounter.CountPrompt(tokenizer, prompt, chat: true));
    }

    [Theory]
    [InlineData("""{"model":"model-b-expensive","model":"chat","messages":[]}""", "model")]
    [InlineData("""{"model":"chat","mod\u0065l":"premium","messages":[]}""", "model")]
    [InlineData("""{"model":"chat","stream":false,"messages":[],"stream":true}""", "stream")]
    [InlineData("""{"model":"chat","stream":true,"stream_options":{"include_usage":true},"stream_options":{"include_usage":false},"messages":[]}""", "stream_options")]
    [InlineData("""{"model":"chat","stream":true,"stream_options":{"include_usage":true,"include_usage":false},"messages":[]}""", "stream_options")]
    [InlineData("""{"model":"chat","user":"alice","user":"bob","messages":[]}""", "user")]
    [InlineData("""{"model":"chat","metadata":{"tier":"free"},"metadata":{"tier":"gold"},"messages":[]}""", "metadata")]
    [InlineData("""{"model":"chat","metadata":{"tier":"free","tier":"gold"},"messages":[]}""", "metadata")]
    [InlineData("""{"model":"chat","metadata":{"tier":3,"tier":"gold"},"messages":[]}""", "metadata")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"messages":[{"role":"user","content":"card 4111 1111 1111 1111"}]}""", "messages")]
    [InlineData("""{"model":"chat","tools":[],"tools":[{"type":"function"}],"messages":[]}""", "tools")]
    [InlineData("""{"model":"chat","max_tokens":10,"max_tokens":100000,"messages":[]}""", "max_tokens")]
    [InlineData("""{"model":"chat","response_format":{"type":"text"},"response_format":{"type":"json_object"},"messages":[]}""", "response_format")]
    public void Parse_AFieldTandemReadsGivenTwice_IsRefused(string body, string param)
    {
        var problem = Refused(body);
        Assert.Equal((param, "duplicate_parameter"), (problem.Param, problem.Code));
    }

    [Fact]
    public void Parse_DuplicateModel_SaysWhatToDo()
    {
        var problem = Refused("""{"model":"a","model":"b","messages":[]}""");
        Assert.Equal("Duplicate parameter 'model': send it once.", problem.Message);
    }

    [Fact]
    public void Parse_DuplicateFieldsTandemDoesNotRead_AreLeftToTheUpstream()
    {
        var body = """{"model":"chat","temperature":0,"temperature":1,"messages":[{"role":"user","content":"hi","content":"ho"}]}"""u8;
        Assert.NotNull(ApiRequest.Parse(body, ApiOperation.ChatCompletions, out _));
    }
}
