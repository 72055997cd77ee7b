using System.Text;
using System.Text.Json.Nodes;
using Tandem.Buffers;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Wire;

public sealed class ApiRequestTests
{
    private static string Rewrite(string body, string model, bool forceUsage = true)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = ApiRequest.Parse(bytes, ApiOperation.ChatCompletions, out var problem);
        Assert.True(request is not null, problem.Message);
        using var output = new PooledBufferWriter();
        request.WriteUpstreamBody(bytes, model, forceUsage, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Fact]
    public void Parse_ReadsTopLevelFieldsItActsOn()
    {
        var body = """{"model":"intent","stream":true,"user":"u1","messages":[{"role":"user","content":[{"type":"text","text":"abc"},{"type":"image_url","image_url":{"url":"x"}}]}],"tools":[{"type":"function"}],"response_format":{"type":"json_object"},"metadata":{"team":"a","n":3}}"""u8;
        var request = ApiRequest.Parse(body, ApiOperation.ChatCompletions, out _)!;
        Assert.Equal("intent", request.Model);
        Assert.True(request.Stream);
        Assert.False(request.ClientWantsUsage);
        Assert.Equal("u1", request.User);
        Assert.True(request.HasTools);
        Assert.True(request.HasImages);
        Assert.Equal("json_object", request.ResponseFormat);
        Assert.Equal(3, request.PromptChars);
        Assert.Equal("a", request.Metadata!["team"]);
        Assert.False(request.Metadata.ContainsKey("n"));
    }

    [Fact]
    public void Rewrite_ReplacesOnlyTheModelValue()
    {
        var body = """{ "messages": [{"role":"user","content":"hi"}], "model" : "intent", "x":{"model":"inner"} }""";
        Assert.Equal("""{ "messages": [{"role":"user","content":"hi"}], "model" : "gpt-4o-mini", "x":{"model":"inner"} }""", Rewrite(body, "gpt-4o-mini"));
    }

    [Fact]
    public void Rewrite_EscapesTheUpstreamModel()
    {
        var rewritten = Rewrite("""{"model":"a","messages":[]}""", "we\"ird/\u00e9");
        Assert.Equal("we\"ird/\u00e9", (string?)JsonNode.Parse(rewritten)!["model"]);
    }

    [Fact]
    public void Rewrite_StreamWithoutOptions_InsertsIncludeUsage()
    {
        Assert.Equal("""{"stream_options":{"include_usage":true},"model":"m2","stream":true,"messages":[]}""", Rewrite("""{"model":"m","stream":true,"messages":[]}""", "m2"));
    }

    [Theory]
    [InlineData("""{"stream_options":{"include_usage":false,"other":1},"model":"m","stream":true,"messages":[]}""")]
    [InlineData("""{"model":"m","stream":true,"messages":[],"stream_options":{"other":1}}""")]
    [InlineData("""{"model":"m","stream":true,"messages":[],"stream_options":null}""")]
    public void Rewrite_StreamOptionsWithoutUsage_SetsItAndKeepsTheRest(string body)
    {
        var node = JsonNode.Parse(Rewrite(body, "m2"))!;
        Assert.Equal("m2", (string?)node["model"]);
        Assert.True((bool)node["stream_options"]!["include_usage"]!);
        if (body.Contains("other", StringComparison.Ordinal))
        {
            Assert.Equal(1, (int)node["stream_options"]!["other"]!);
        }
    }

    [Fact]
    public void Rewrite_NotStreaming_LeavesStreamOptionsAlone()
    {
        var body = """{"model":"m","messages":[]}""";
        Assert.Equal("""{"model":"m2","messages":[]}""", Rewrite(body, "m2"));
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("{", null)]
    [InlineData("[1,2]", null)]
    [InlineData("""{"model":"m","messages":[]} trailing""", null)]
    [InlineData("""{"model":"m","messages":[],}""", null)]
    [InlineData("""{"messages":[]}""", "model")]
    [InlineData("""{"model":"","messages":[]}""", "model")]
    [InlineData("""{"model":3,"messages":[]}""", "model")]
    [InlineData("""{"model":"m"}""", "messages")]
    [InlineData("""{"model":"m","messages":"hi"}""", "messages")]
    public void Parse_BadBodies_AreRefusedWithTheOffendingParam(string body, string? param)
    {
        Assert.Null(ApiRequest.Parse(Encoding.UTF8.GetBytes(body), ApiOperation.ChatCompletions, out var problem));
        Assert.Equal(param, problem.Param);
        Assert.False(string.IsNullOrEmpty(problem.Message));
    }

    [Fact]
    public void Parse_EmbeddingsAndCompletions_NeedTheirOwnFields()
    {
        Assert.NotNull(ApiRequest.Parse("""{"model":"e","input":["a","b"]}"""u8, ApiOperation.Embeddings, out _));
        Assert.Null(ApiRequest.Parse("""{"model":"e","messages":[]}"""u8, ApiOperation.Embeddings, out var p1));
        Assert.Equal("input", p1.Param);
        Assert.NotNull(ApiRequest.Parse("""{"model":"c","prompt":"once upon"}"""u8, ApiOperation.Completions, out _));
        Assert.Null(ApiRequest.Parse("""{"model":"c"}"""u8, ApiOperation.Completions, out var p2));
        Assert.Equal("prompt", p2.Param);
    }
}
