using System.Text;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Wire;

/// <summary>
/// The request fields Tandem decides on, read in one pass: user turns, images, prompt size, tools, max tokens, the
/// kept prompt copy, and the problems a client is told about with their OpenAI codes.
/// </summary>
public sealed class ApiRequestFieldsTests
{
    private static ApiRequest Parse(string body, ApiOperation operation = ApiOperation.ChatCompletions)
    {
        var request = ApiRequest.Parse(Encoding.UTF8.GetBytes(body), operation, out var problem);
        Assert.True(request is not null, problem.Message);
        return request;
    }

    private static RequestProblem Problem(string body, ApiOperation operation = ApiOperation.ChatCompletions)
    {
        Assert.Null(ApiRequest.Parse(Encoding.UTF8.GetBytes(body), operation, out var problem));
        return problem;
    }

    [Fact]
    public void Messages_CountUserTurnsOnly_AtTheMessageLevel()
    {
        var request = Parse("""
            {"model":"m","messages":[
              {"role":"system","content":"be brief"},
              {"role":"user","content":"abcd"},
              {"role":"assistant","content":"ok","tool_calls":[{"function":{"role":"user"}}]},
              {"role":"user","content":[{"type":"text","text":"efgh"}],"name":"user"},
              {"role":"tool","content":"x"}]}
            """);

        // Two user messages; a "role":"user" nested in a tool call or a name of "user" is not a turn.
        Assert.Equal(2, request.UserTurns);
        // Characters of message text: "be brief" 8 + "abcd" 4 + "ok" 2 + "efgh" 4 + "x" 1 = 19.
        Assert.Equal(19, request.PromptChars);
        // Estimate: 19 / 4 = 4 (integer) + 4 per user turn × 2 = 12.
        Assert.Equal(12, request.EstimatedPromptTokens);
    }

    [Fact]
    public void EstimatedPromptTokens_FramesAtLeastOneTurn()
    {
        var request = Parse("""{"model":"m","messages":[{"role":"system","content":"0123456789abcdef"}]}""");

        // 16 characters / 4 = 4, plus the framing of one turn (4) although no user spoke.
        Assert.Equal((0, 16, 8), (request.UserTurns, request.PromptChars, request.EstimatedPromptTokens));
    }

    [Theory]
    [InlineData("""[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]""", true)]
    [InlineData("""[{"type":"input_image","image_url":"https://x/y.png"}]""", true)]
    [InlineData("""[{"type":"text","text":"image_url"}]""", false)] // the words, not a part type
    [InlineData("""[{"type":"input_audio","input_audio":{"data":"x"}}]""", false)]
    [InlineData("\"a picture: image_url\"", false)]
    public void Images_ArePartTypes(string content, bool images) =>
        Assert.Equal(images, Parse("""{"model":"m","messages":[{"role":"user","content":""" + content + "}]}").HasImages);

    [Fact]
    public void ContentParts_TextCounts_OtherValuesDoNot()
    {
        var request = Parse("""{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"abc"},{"type":"text","text":{"nested":"ignored"}},{"type":"image_url","image_url":{"url":"https://example.com/long-url"}}]}]}""");

        Assert.Equal((3, true), (request.PromptChars, request.HasImages));
    }

    [Fact]
    public void Content_NullOrObject_CountsNothing()
    {
        var request = Parse("""{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"t"}]},{"role":"user","content":{"odd":"shape"}},{"role":"user","content":"ab"}]}""");

        Assert.Equal((2, 2), (request.PromptChars, request.UserTurns));
    }

    [Theory]
    [InlineData("\"abcde\"", 5)]
    [InlineData("[\"ab\",\"cde\"]", 5)]
    [InlineData("[1,2,3]", 3)] // token ids: one each
    [InlineData("[[1,2],[3]]", 3)]
    [InlineData("42", 0)]
    public void PromptAndInput_CountCharactersAndTokenIds(string prompt, int chars)
    {
        Assert.Equal(chars, Parse("""{"model":"m","prompt":""" + prompt + "}", ApiOperation.Completions).PromptChars);
        Assert.Equal(chars, Parse("""{"model":"m","input":""" + prompt + "}", ApiOperation.Embeddings).PromptChars);
    }

    [Theory]
    [InlineData("\"tools\":[]", false)]
    [InlineData("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]", true)]
    [InlineData("\"functions\":[{\"name\":\"f\"}]", true)]
    [InlineData("\"functions\":[]", false)]
    [InlineData("\"tools\":null", false)]
    [InlineData("\"tools\":{\"a\":1}", false)]
    public void Tools_PresentAndNonEmpty(string tools, bool hasTools) =>
        Assert.Equal(hasTools, Parse("""{"model":"m","messages":[],""" + tools + "}").HasTools);

    [Theory]
    [InlineData("\"max_tokens\":300", 300)]
    [InlineData("\"max_completion_tokens\":40", 40)]
    [InlineData("\"max_tokens\":\"300\"", null)]
    [InlineData("\"max_tokens\":1.5", null)]
    [InlineData("\"max_tokens\":99999999999", null)] // not an int
    [InlineData("\"max_tokens\":null", null)]
    public void MaxTokens_AnIntegerOnly(string field, int? expected)
    {
        var request = Parse("""{"model":"m","messages":[],""" + field + ""","user":"after"}""");

        Assert.Equal(expected, request.MaxTokens);
        Assert.Equal("after", request.User); // the fields after it are still read
    }

    [Fact]
    public void StreamOptions_NestedIncludeUsageIsNotTheClients()
    {
        var request = Parse("""{"model":"m","stream":true,"stream_options":{"other":{"include_usage":true},"list":[{"include_usage":true}]},"messages":[]}""");

        Assert.False(request.ClientWantsUsage);
        Assert.True(Parse("""{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}""").ClientWantsUsage);
        Assert.False(Parse("""{"model":"m","stream":true,"stream_options":"yes","messages":[],"user":"u"}""").ClientWantsUsage);
    }

    [Fact]
    public void UserThatIsNotAString_IsIgnored_AndParsingGoesOn()
    {
        var request = Parse("""{"model":"m","user":{"id":"u1"},"messages":[],"max_tokens":5}""");

        Assert.Equal(((string?)null, 5), (request.User, request.MaxTokens));
    }

    [Fact]
    public void UnknownFieldsWithNestedValues_AreSkippedWhole()
    {
        var request = Parse("""{"model":"m","extra":{"model":"other","messages":"x"},"n":[{"user":"x"}],"messages":[],"user":"real"}""");

        Assert.Equal(("m", "real"), (request.Model, request.User));
    }

    [Fact]
    public void PromptJson_IsTheRequiredFieldsValue_UntilReleased()
    {
        var request = Parse("""{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0}""");

        Assert.Equal("""[{"role":"user","content":"hi"}]""", Encoding.UTF8.GetString(request.PromptJson));
        request.ReleasePromptJson();
        Assert.True(request.PromptJson.IsEmpty);
        request.ReleasePromptJson(); // twice is harmless
    }

    [Fact]
    public void PromptJson_OfACompletionPrompt()
    {
        var request = Parse("""{"prompt":"once upon","model":"m"}""", ApiOperation.Completions);

        Assert.Equal("\"once upon\"", Encoding.UTF8.GetString(request.PromptJson));
    }

    [Theory]
    [InlineData("""{"messages":[]}""", "You must provide a model parameter.", "model", "missing_required_parameter")]
    [InlineData("""{"model":"","messages":[]}""", "You must provide a model parameter.", "model", "missing_required_parameter")]
    [InlineData("""{"model":"m"}""", "Missing required parameter: 'messages'.", "messages", "missing_required_parameter")]
    [InlineData("""{"model":"m","messages":null}""", "Invalid type for 'messages': expected an array of objects.", "messages", "invalid_type")]
    [InlineData("""{"model":7,"messages":[]}""", "Invalid type for 'model': expected a string.", "model", "invalid_type")]
    [InlineData("""{"model":"m","messages":"hi"}""", "Invalid type for 'messages': expected an array of objects.", "messages", "invalid_type")]
    [InlineData("""[{"model":"m"}]""", "We could not parse the JSON body of your request. The body must be a single JSON object.", null, "invalid_json")]
    [InlineData("""{"model":"m","messages":[]} {}""", "We could not parse the JSON body of your request. The body must be a single JSON object.", null, "invalid_json")]
    [InlineData("""{"model":"m","messages":[] /* note */}""", "We could not parse the JSON body of your request. The body must be a single JSON object.", null, "invalid_json")]
    [InlineData("""{"model":"m","stream":true,"stream_options":{"include_usage":true,"include_usage":true},"messages":[]}""", "Duplicate parameter 'stream_options.include_usage': send it once.", "stream_options", "duplicate_parameter")]
    [InlineData("""{"model":"m","max_completion_tokens":1,"max_completion_tokens":2,"messages":[]}""", "Duplicate parameter 'max_completion_tokens': send it once.", "max_completion_tokens", "duplicate_parameter")]
    [InlineData("""{"model":"m","functions":[],"functions":[],"messages":[]}""", "Duplicate parameter 'functions': send it once.", "functions", "duplicate_parameter")]
    [InlineData("""{"model":"m","metadata":{"a":"1","a":"2"},"messages":[]}""", "Duplicate key 'a' in 'metadata': send it once.", "metadata", "duplicate_parameter")]
    public void Problems_AreOpenAiShaped(string body, string message, string? param, string code) =>
        Assert.Equal(new RequestProblem(message, param, code), Problem(body));

    [Fact]
    public void Problems_ForCompletionsAndEmbeddings_NameTheirRequiredField()
    {
        Assert.Equal(new RequestProblem("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter"), Problem("""{"model":"m"}""", ApiOperation.Completions));
        Assert.Equal(new RequestProblem("Missing required parameter: 'input'.", "input", "missing_required_parameter"), Problem("""{"model":"m"}""", ApiOperation.Embeddings));
    }

    [Fact]
    public void InvalidUtf8_InTextNotReadOtherwise_IsRefused()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"caf?"}]}""");
        body[Array.IndexOf(body, (byte)'?')] = 0xFF;

        Assert.Null(ApiRequest.Parse(body, ApiOperation.ChatCompletions, out var problem));
        Assert.Equal(new RequestProblem("We could not parse the JSON body of your request: it is not valid UTF-8. JSON text must be encoded as UTF-8.", null, "invalid_json"), problem);
    }

    [Fact]
    public void ExtractText_JoinsEveryTextValue()
    {
        Assert.Equal("be brief\nhi\npart", ApiRequest.ExtractText("""{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"},{"role":"user","content":[{"type":"text","text":"part"}]}]}"""u8));
        Assert.Equal("onetwo", ApiRequest.ExtractText("""{"prompt":["one","two"]}"""u8));
        Assert.Equal("{\"city\":\"Paris\"}", ApiRequest.ExtractText("""{"messages":[{"role":"assistant","tool_calls":[{"function":{"arguments":"{\"city\":\"Paris\"}"}}]}]}"""u8));
        Assert.Equal("", ApiRequest.ExtractText("not json"u8));
        Assert.Equal("a", ApiRequest.ExtractText("""{"input":"a","input":"""u8)); // what was read before the break
    }

    [Fact]
    public void OpenAiError_Body_HasEveryFieldWithNullsWritten()
    {
        Assert.Equal("""{"error":{"message":"m","type":"t","param":null,"code":null}}""", Encoding.UTF8.GetString(OpenAiError.Body("m", "t")));
        Assert.Equal("""{"error":{"message":"m \u0022q\u0022","type":"t","param":"p","code":"c"}}""", Encoding.UTF8.GetString(OpenAiError.Body("m \"q\"", "t", "p", "c")));
    }

    [Theory]
    [InlineData("""{"error":{"message":"slow down","type":"x"}}""", "slow down")]
    [InlineData("""{"error":{"type":"x","message":7}}""", null)]
    [InlineData("""{"message":"top level"}""", null)] // not inside "error"
    [InlineData("""{"detail":{"message":"nested elsewhere"}}""", null)] // only "error" holds OpenAI's message
    [InlineData("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", null)] // Anthropic's envelope
    [InlineData("""{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}""", null)] // Google's numeric code
    [InlineData("""{"error":{"message":"bad","code":"invalid_api_key"}}""", "bad")] // OpenAI's string code
    [InlineData("""["error"]""", null)]
    [InlineData("""{"error":""", null)]
    [InlineData("", null)]
    public void OpenAiError_MessageOf(string body, string? message) =>
        Assert.Equal(message, OpenAiError.MessageOf(Encoding.UTF8.GetBytes(body)));
}
