using System.Text;
using System.Text.Json.Nodes;
using Tandem.Providers;
using Tandem.Providers.Gemini;
using Xunit;
using static Tandem.Core.Tests.Providers.Recordings;

namespace Tandem.Core.Tests.Providers.Gemini;

public sealed class GeminiResponseReaderTests
{
    private static JsonNode Read(JsonNode gemini, string model = "gemini-2.0-flash") =>
        JsonNode.Parse(GeminiResponseReader.ToCompletion(Encoding.UTF8.GetBytes(gemini.ToJsonString()), model, Created))!;

    [Fact]
    public void ToCompletion_RecordedFunctionCall_BecomesAToolCall()
    {
        var recorded = Cassette("gemini", "test_google_tool_output.yaml")[1]!["response"]!["parsed_body"]!;

        JsonEqual("""
            {"id":"LlteaOzCOPOdnvgPrJbnoQg","object":"chat.completion","created":1700000000,"model":"gemini-2.0-flash",
             "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
               {"id":"call_LlteaOzCOPOdnvgPrJbnoQg_0","type":"function","function":{"name":"final_result","arguments":"{\"city\":\"Mexico City\",\"country\":\"Mexico\"}"}}]},
               "logprobs":null,"finish_reason":"tool_calls"}],
             "usage":{"prompt_tokens":47,"completion_tokens":8,"total_tokens":55}}
            """, Read(recorded).ToJsonString());
    }

    [Fact]
    public void ToCompletion_RecordedNativeJsonOutput_IsTheContent()
    {
        var recorded = Cassette("gemini", "test_google_native_output.yaml")[0]!["response"]!["parsed_body"]!;

        var choice = Read(recorded)["choices"]![0]!;

        Assert.Equal("{\n  \"city\": \"Mexico City\",\n  \"country\": \"Mexico\"\n}", (string?)choice["message"]!["content"]);
        Assert.Equal("stop", (string?)choice["finish_reason"]);
    }

    [Fact]
    public void ToCompletion_RecordedSafetyBlock_ContentFilterWithEmptyContent()
    {
        var recorded = Cassette("gemini", "test_google_model_safety_settings.yaml")[0]!["response"]!["parsed_body"]!;

        var completion = Read(recorded);

        Assert.Equal(("", "content_filter"), ((string?)completion["choices"]![0]!["message"]!["content"], (string?)completion["choices"]![0]!["finish_reason"]));
        JsonEqual("""{"prompt_tokens":14,"completion_tokens":0,"total_tokens":14}""", completion["usage"]!.ToJsonString());
    }

    [Fact]
    public void ToCompletion_RecordedMaxTokens_IsLength()
    {
        var recorded = Cassette("gemini", "test_google_model_max_tokens.yaml")[0]!["response"]!["parsed_body"]!;

        var choice = Read(recorded)["choices"]![0]!;

        Assert.Equal(("The capital of France is", "length"), ((string?)choice["message"]!["content"], (string?)choice["finish_reason"]));
    }

    [Fact]
    public void ToCompletion_PromptBlocked_NoCandidates_ContentFilter()
    {
        var gemini = JsonNode.Parse("""{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"responseId":"r"}""")!;

        var completion = Read(gemini);

        Assert.Equal("content_filter", (string?)completion["choices"]![0]!["finish_reason"]);
        Assert.Equal("gemini-2.0-flash", (string?)completion["model"]); // no modelVersion: the deployment's model
    }

    [Fact]
    public void ToCompletion_CachedContentAndToolUsePrompt_AreCounted()
    {
        var gemini = JsonNode.Parse("""
            {"candidates":[{"content":{"parts":[{"text":"ok"}],"role":"model"},"finishReason":"STOP"}],
             "usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":60,"toolUsePromptTokenCount":5,"candidatesTokenCount":2,"totalTokenCount":107}}
            """)!;

        JsonEqual("""{"prompt_tokens":105,"completion_tokens":2,"total_tokens":107,"prompt_tokens_details":{"cached_tokens":60}}""", Read(gemini)["usage"]!.ToJsonString());
    }

    [Fact]
    public void ToCompletion_NotJson_ThrowsIOException()
    {
        Assert.Throws<IOException>(() => GeminiResponseReader.ToCompletion("{\"candidates\":"u8.ToArray(), "m", Created));
    }
}

public sealed class GeminiWireTests
{
    [Fact]
    public void ReadError_Recorded404_ModelNotFound()
    {
        var body = Cassette("gemini", "test_model_name_suggestion_google.yaml")[0]!["response"]!["parsed_body"]!;

        var error = GeminiWire.ReadError(404, Encoding.UTF8.GetBytes(body.ToJsonString()));

        Assert.Equal(ProviderErrorKind.Unspecified, error.Kind);
        Assert.StartsWith("models/gemini-3.6-flahs is not found for API version v1beta, or is not supported for generateContent.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadError_RecordedEmbeddings404()
    {
        var body = Cassette("gemini", "TestGoogle.test_embed_error.yaml")[0]!["response"]!["parsed_body"]!;

        Assert.StartsWith("models/nonexistent-model is not found", GeminiWire.ReadError(404, Encoding.UTF8.GetBytes(body.ToJsonString())).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(503, """{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}""", ProviderErrorKind.Overloaded)]
    [InlineData(400, """{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}""", ProviderErrorKind.ContextLength)]
    [InlineData(400, """[{"error":{"code":400,"message":"Invalid JSON payload received.","status":"INVALID_ARGUMENT"}}]""", ProviderErrorKind.Unspecified)]
    [InlineData(429, """{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}""", ProviderErrorKind.Unspecified)]
    public void ReadError_Kinds(int status, string body, ProviderErrorKind kind)
    {
        var error = GeminiWire.ReadError(status, Encoding.UTF8.GetBytes(body));

        Assert.Equal(kind, error.Kind);
        Assert.NotNull(error.Message);
    }

    [Fact]
    public void ToolCallId_SignatureRoundTrips()
    {
        const string Signature = "EpwI+/A=";

        var id = GeminiWire.ToolCallId(null, "resp", 2, Signature);

        Assert.Equal("call_resp_2__ts__EpwI-_A", id);
        Assert.Equal(("call_resp_2", Signature), GeminiWire.SplitToolCallId(id));
        Assert.Equal(("fc-7", (string?)null), GeminiWire.SplitToolCallId(GeminiWire.ToolCallId("fc-7", "resp", 0, null)));
    }

    [Theory]
    [InlineData("STOP", false, "stop")]
    [InlineData("STOP", true, "tool_calls")]
    [InlineData("MAX_TOKENS", false, "length")]
    [InlineData("SAFETY", false, "content_filter")]
    [InlineData("RECITATION", false, "content_filter")]
    [InlineData("PROHIBITED_CONTENT", false, "content_filter")]
    [InlineData("OTHER", false, "stop")]
    public void FinishReason_Maps(string reason, bool toolCalls, string expected)
    {
        Assert.Equal(expected, GeminiWire.FinishReason(reason, toolCalls));
    }
}
