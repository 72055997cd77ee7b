using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Providers.Gemini;
using Tandem.Wire;
using Xunit;
using static Tandem.Core.Tests.Providers.Recordings;

namespace Tandem.Core.Tests.Providers.Gemini;

public sealed class GeminiRequestWriterTests
{
    private static readonly GeminiRequestOptions Flash = new("flash", JsonSchemas: false);

    private static JsonNode Translate(string openAi, GeminiRequestOptions? options = null)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(GeminiRequestWriter.TryWrite(Encoding.UTF8.GetBytes(openAi), options ?? Flash, output, out var problem), problem.Message);
        return JsonNode.Parse(output.WrittenSpan)!;
    }

    private static RequestProblem Refused(string openAi, GeminiRequestOptions? options = null)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.False(GeminiRequestWriter.TryWrite(Encoding.UTF8.GetBytes(openAi), options ?? Flash, output, out var problem));
        return problem;
    }

    [Fact]
    public void TryWrite_ToolRoundTrip_MatchesTheRecordedGeminiRequest()
    {
        // pydantic-ai's second call of a tool run against gemini-2.0-flash: a function call and its response, with ids.
        var recorded = Cassette("gemini", "test_google_tool_output.yaml")[1]!["request"]!["parsed_body"]!;
        var openAi = JsonNode.Parse("""
            {"model":"flash","tool_choice":"required","messages":[
              {"role":"user","content":"What is the largest city in the user country?"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"pyd_ai_3fa5644dae1d4aad997ae39c70006fbd","type":"function","function":{"name":"get_user_country","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"pyd_ai_3fa5644dae1d4aad997ae39c70006fbd","content":"{\"return_value\": \"Mexico\"}"}],
             "tools":[
              {"type":"function","function":{"name":"get_user_country","description":"","parameters":{"type":"object","properties":{}}}},
              {"type":"function","function":{"name":"final_result","description":"The final response which ends this conversation",
                "parameters":{"type":"object","properties":{"city":{"type":"string"},"country":{"type":"string"}},"required":["city","country"],"additionalProperties":false}}}]}
            """)!;

        var translated = Translate(openAi.ToJsonString());

        // pydantic-ai names every function in allowedFunctionNames; "required" (any function) needs none.
        var expected = recorded.DeepClone();
        expected["toolConfig"]!["functionCallingConfig"]!.AsObject().Remove("allowedFunctionNames");
        JsonEqual(expected, translated);
    }

    [Fact]
    public void TryWrite_ThoughtSignatureInTheToolCallId_GoesBackWithTheCall()
    {
        var recorded = Cassette("gemini", "test_google_streaming_tool_call_thought_signature.yaml");
        var firstEvent = System.IO.File.ReadAllText(File("pydantic-ai", "gemini", "test_google_streaming_tool_call_thought_signature.i0.sse")).Split('\n')[0];
        var signature = (string)JsonNode.Parse(firstEvent["data: ".Length..])!["candidates"]![0]!["content"]!["parts"]![0]!["thoughtSignature"]!;
        var id = GeminiWire.ToolCallId("pyd_ai_29bf73b69e02448588e15893d47a3e7e", null, 0, signature);
        var openAi = new JsonObject
        {
            ["model"] = "pro",
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "What is the capital of the user country? Call the tool" },
                new JsonObject { ["role"] = "assistant", ["tool_calls"] = new JsonArray(new JsonObject { ["id"] = id, ["type"] = "function", ["function"] = new JsonObject { ["name"] = "get_country", ["arguments"] = "{}" } }) },
                new JsonObject { ["role"] = "tool", ["tool_call_id"] = id, ["content"] = "{\"return_value\":\"Mexico\"}" }),
        };

        var contents = Translate(openAi.ToJsonString())["contents"]!;

        // The recorded request sends the signature back base64url-encoded; both encodings carry the same bytes.
        var expected = recorded[1]!["request"]!["parsed_body"]!["contents"]!.DeepClone();
        var sent = (string)contents[1]!["parts"]![0]!["thoughtSignature"]!;
        Assert.Equal(Convert.FromBase64String(signature), Convert.FromBase64String(sent));
        var recordedSignature = (string)expected[1]!["parts"]![0]!["thoughtSignature"]!;
        Assert.Equal(Convert.FromBase64String(sent), Convert.FromBase64String(recordedSignature.Replace('-', '+').Replace('_', '/')));
        contents[1]!["parts"]![0]!["thoughtSignature"] = recordedSignature;
        JsonEqual(expected, contents);
    }

    [Fact]
    public void TryWrite_JsonSchemaMode_MatchesTheRecordedNativeOutputRequest()
    {
        var recorded = Cassette("gemini", "test_google_native_output.yaml")[0]!["request"]!["parsed_body"]!;
        var schema = recorded["generationConfig"]!["responseJsonSchema"]!;
        var openAi = new JsonObject
        {
            ["model"] = "flash",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "What is the largest city in Mexico?" }),
            ["response_format"] = new JsonObject { ["type"] = "json_schema", ["json_schema"] = new JsonObject { ["name"] = "CityLocation", ["schema"] = schema.DeepClone() } },
        };

        var translated = Translate(openAi.ToJsonString(), Flash with { JsonSchemas = true });

        // pydantic-ai also asks for TEXT modalities, the only one a chat answer has.
        var expected = recorded.DeepClone();
        expected["generationConfig"]!.AsObject().Remove("responseModalities");
        JsonEqual(expected, translated);
    }

    [Fact]
    public void TryWrite_SystemAndMaxTokens_MatchTheRecordedRequest()
    {
        var recorded = Cassette("gemini", "test_google_model_max_tokens.yaml")[0]!["request"]!["parsed_body"]!;

        var translated = Translate("""{"model":"flash","max_tokens":5,"messages":[{"role":"system","content":"You are a helpful chatbot."},{"role":"user","content":"What is the capital of France?"}]}""");

        // pydantic-ai also sets modalities and a thinking budget, and gives the system instruction a role.
        var expected = recorded.DeepClone();
        expected["generationConfig"]!.AsObject().Remove("responseModalities");
        expected["generationConfig"]!.AsObject().Remove("thinkingConfig");
        expected["systemInstruction"]!.AsObject().Remove("role");
        JsonEqual(expected, translated);
    }

    [Fact]
    public void TryWrite_ResponseSchema_IsConvertedToGeminisSchema()
    {
        var body = Translate("""
            {"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"Order","strict":true,"schema":{
              "$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,"required":["item","note","kind"],
              "$defs":{"Item":{"type":"object","properties":{"sku":{"type":"string","format":"uuid"},"qty":{"type":"integer","minimum":1}}}},
              "properties":{"item":{"$ref":"#/$defs/Item"},"note":{"type":["string","null"]},"kind":{"const":"order"},
                "tags":{"type":"array","items":{"anyOf":[{"type":"string"},{"type":"null"}]}},"when":{"type":"string","format":"date-time"}}}}}}
            """);

        JsonEqual("""
            {"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","required":["item","note","kind"],"properties":{
              "item":{"type":"OBJECT","properties":{"sku":{"type":"STRING"},"qty":{"type":"INTEGER","minimum":1}}},
              "note":{"type":"STRING","nullable":true},
              "kind":{"enum":["order"]},
              "tags":{"type":"ARRAY","items":{"anyOf":[{"type":"STRING"}],"nullable":true}},
              "when":{"type":"STRING","format":"date-time"}}}}
            """, body["generationConfig"]!.ToJsonString());
    }

    [Fact]
    public void TryWrite_SamplingStopAndToolChoice_AreTranslated()
    {
        var body = Translate("""
            {"model":"m","temperature":1.5,"top_p":0.9,"top_k":40,"presence_penalty":0.5,"frequency_penalty":-0.5,"seed":7,"stop":["END","STOP"],
             "max_completion_tokens":64,"user":"u-1","stream":true,"stream_options":{"include_usage":true},"n":1,"parallel_tool_calls":true,
             "tools":[{"type":"function","function":{"name":"lookup","description":"Find it"}}],"tool_choice":{"type":"function","function":{"name":"lookup"}},
             "messages":[{"role":"user","content":"hi"}]}
            """);

        JsonEqual("""
            {"contents":[{"role":"user","parts":[{"text":"hi"}]}],
             "tools":[{"functionDeclarations":[{"name":"lookup","description":"Find it"}]}],
             "toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["lookup"]}},
             "generationConfig":{"maxOutputTokens":64,"temperature":1.5,"topP":0.9,"topK":40,"presencePenalty":0.5,"frequencyPenalty":-0.5,"seed":7,"stopSequences":["END","STOP"]}}
            """, body.ToJsonString());
    }

    [Fact]
    public void TryWrite_ParallelResultsShareATurn_MediaAsInlineOrFileData()
    {
        var body = Translate("""
            {"model":"m","messages":[
              {"role":"user","content":[{"type":"text","text":"Look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0K"}},
                {"type":"image_url","image_url":{"url":"gs://bucket/cat.jpeg"}},{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}]},
              {"role":"assistant","content":"On it.","tool_calls":[
                {"id":"c1","type":"function","function":{"name":"a","arguments":"{\"x\":1}"}},{"id":"c2","type":"function","function":{"name":"b","arguments":""}}]},
              {"role":"tool","tool_call_id":"c1","content":"plain text"},
              {"role":"tool","tool_call_id":"c2","content":[{"type":"text","text":"{\"ok\":true}"}]}]}
            """);

        JsonEqual("""
            [{"role":"user","parts":[{"text":"Look"},{"inlineData":{"mimeType":"image/png","data":"iVBORw0K"}},
               {"fileData":{"mimeType":"image/jpeg","fileUri":"gs://bucket/cat.jpeg"}},{"inlineData":{"mimeType":"audio/wav","data":"UklGRg=="}}]},
             {"role":"model","parts":[{"text":"On it."},{"functionCall":{"id":"c1","name":"a","args":{"x":1}}},{"functionCall":{"id":"c2","name":"b","args":{}}}]},
             {"role":"user","parts":[{"functionResponse":{"id":"c1","name":"a","response":{"output":"plain text"}}},{"functionResponse":{"id":"c2","name":"b","response":{"ok":true}}}]}]
            """, body["contents"]!.ToJsonString());
    }

    [Fact]
    public void TryWrite_NonAsciiText_IsWrittenAsUtf8_NotEscaped()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(GeminiRequestWriter.TryWrite(Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"東京の天気は？ don't"}]}"""), Flash, output, out _));

        Assert.Equal("""{"contents":[{"role":"user","parts":[{"text":"東京の天気は？ don't"}]}],"generationConfig":{}}""", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("\"n\":2", "n", "unsupported_parameter")]
    [InlineData("\"logprobs\":true", "logprobs", "unsupported_parameter")]
    [InlineData("\"logit_bias\":{\"1\":5}", "logit_bias", "unsupported_parameter")]
    [InlineData("\"parallel_tool_calls\":false", "parallel_tool_calls", "unsupported_value")]
    [InlineData("\"modalities\":[\"audio\"]", "modalities", "unsupported_parameter")]
    [InlineData("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\",\"not\":{\"required\":[\"a\"]}}}}", "response_format.json_schema.schema", "unsupported_value")]
    [InlineData("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"$ref\":\"#/$defs/Node\",\"$defs\":{\"Node\":{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#/$defs/Node\"}}}}}}}", "response_format.json_schema.schema", "unsupported_value")]
    [InlineData("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":[\"string\",\"integer\"]}}}]", "tools[0].function.parameters", "unsupported_value")]
    public void TryWrite_Untranslatable_RefusedNamingTheParameter(string field, string param, string code)
    {
        var problem = Refused($$"""{"model":"m",{{field}},"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal((param, code), (problem.Param, problem.Code));
        Assert.Contains("'flash'", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[{"role":"user","content":"a"},{"role":"tool","tool_call_id":"unknown","content":"x"}]""", "messages[1].tool_call_id")]
    [InlineData("""[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/image"}}]}]""", "messages[0].content[0].image_url.url")]
    [InlineData("""[{"role":"system","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]},{"role":"user","content":"a"}]""", "messages[0].content[0]")]
    [InlineData("""[{"role":"user","content":"a"},{"role":"assistant","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"not json"}}]}]""", "messages[1].tool_calls[0].function.arguments")]
    public void TryWrite_UntranslatableMessage_NamesThePart(string messages, string param)
    {
        Assert.Equal(param, Refused($$"""{"model":"m","messages":{{messages}}}""").Param);
    }
}
