using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tandem.Core.Tests.Providers.Aws;
using Tandem.Providers;
using Tandem.Providers.Aws;
using Tandem.Providers.Bedrock;
using Xunit;

namespace Tandem.Core.Tests.Providers.Bedrock;

/// <summary>
/// Bedrock Converse translation against real recorded traffic (<c>test/TestData/pydantic-ai-bedrock</c>): OpenAI
/// requests become the request bodies Bedrock accepted, recorded answers and streams become OpenAI responses.
/// </summary>
public sealed class ConverseTranslationTests
{
    private const string Tools = """
        [{"type":"function","function":{"name":"get_capital","description":"Get the capital of a country.","parameters":{"properties":{"country":{"description":"The country name.","title":"Country","type":"string"}},"required":["country"],"type":"object","additionalProperties":false}}},
         {"type":"function","function":{"name":"get_temperature","description":"Get the temperature in a city.","parameters":{"properties":{"city":{"description":"The city name.","title":"City","type":"string"}},"required":["city"],"type":"object","additionalProperties":false}}}]
        """;

    private const string FirstToolTurn = """
        {"model":"m","top_p":0.5,"tools":TOOLS,
         "messages":[{"role":"system","content":"You are a helpful chatbot."},{"role":"user","content":"What is the temperature of the capital of France?"}]}
        """;

    private const string SecondToolTurn = """
        {"model":"m","top_p":0.5,"tools":TOOLS,
         "messages":[{"role":"system","content":"You are a helpful chatbot."},{"role":"user","content":"What is the temperature of the capital of France?"},
          {"role":"assistant","content":"<thinking> To find the temperature of the capital of France, I need to first determine the capital of France and then get the current temperature in that city. The capital of France is Paris. I will use the \"get_temperature\" tool to find the current temperature in Paris.</thinking>\n",
           "tool_calls":[{"id":"tooluse_lAG_zP8QRHmSYOwZzzaCqA","type":"function","function":{"name":"get_temperature","arguments":"{\"city\":\"Paris\"}"}}]},
          {"role":"tool","tool_call_id":"tooluse_lAG_zP8QRHmSYOwZzzaCqA","content":"30°C"}]}
        """;

    private const string StructuredOutput = """
        {"model":"m","messages":[{"role":"user","content":"What is the capital of France? Give me the city name, country, and population."}],
         "response_format":{"type":"json_schema","json_schema":{"name":"CityInfo","description":"Information about a city.",
         "schema":{"additionalProperties": false, "properties": {"city": {"type": "string"}, "country": {"type": "string"}, "population": {"type": "integer"}}, "required": ["city", "country", "population"], "type": "object"}}}}
        """;

    public static TheoryData<string, string, int> RecordedRequests() => new()
    {
        { """{"model":"m","messages":[{"role":"system","content":"You are a chatbot."},{"role":"user","content":"Hello!"}]}""", "test_bedrock_model", 0 },
        { """{"model":"m","messages":[{"role":"user","content":"hello"}]}""", "test_bedrock_error", 0 },
        { """{"model":"m","temperature":0.0,"messages":[{"role":"system","content":"You are a helpful chatbot."},{"role":"user","content":"What is the capital of France?"}]}""", "test_bedrock_model_stream", 0 },
        { FirstToolTurn.Replace("TOOLS", Tools, StringComparison.Ordinal), "test_bedrock_model_iter_stream", 0 },
        { SecondToolTurn.Replace("TOOLS", Tools, StringComparison.Ordinal), "test_bedrock_model_iter_stream", 1 },
        { StructuredOutput, "test_bedrock_native_output_stream", 0 },
    };

    [Theory]
    [MemberData(nameof(RecordedRequests))]
    public void OpenAiRequest_BecomesTheRecordedConverseBody(string openAi, string cassette, int interaction)
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.True(ConverseRequestWriter.TryWrite(Encoding.UTF8.GetBytes(openAi), "bedrock", output, out var problem), problem.Message);

        var expected = Cassette.RequestBody(cassette, interaction);
        var actual = JsonNode.Parse(output.WrittenSpan)!;
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected.ToJsonString()}\nactual   {actual.ToJsonString()}");
    }

    [Fact]
    public async Task Converse_IsSignedForBedrock_ModelIdEncodedOnTheWireAndAgainInTheSignature()
    {
        // Expected Authorization computed by hand with Python's hmac/hashlib: canonical path
        // /model/us.amazon.nova-micro-v1%253A0/converse, headers accept, content-type, host, x-amz-date.
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero));
        var recorded = Cassette.ResponseBody("test_bedrock_model").ToJsonString();
        var handler = new CapturingHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(recorded, Encoding.UTF8, "application/json") });
        var snapshot = AwsTestSnapshots.Build("""
            auth: { disabled: true }
            providers:
              - { name: br, type: bedrock, base_url: "https://bedrock-runtime.us-east-1.amazonaws.com" }
            deployments:
              - { name: nova, provider: br, model: "us.amazon.nova-micro-v1:0" }
            routes:
              - { name: chat, deployment: nova }
            """, AwsTestSnapshots.Example, time, _ => handler);

        using var result = await snapshot.Deployments["nova"].Invoker.SendAsync(
            AwsTestSnapshots.Chat("""{"model":"chat","messages":[{"role":"system","content":"You are a chatbot."},{"role":"user","content":"Hello!"}]}"""), Ct);

        var (message, body) = Assert.Single(handler.Requests);
        Assert.Equal(Cassette.RequestUri("test_bedrock_model"), message.RequestUri!.AbsoluteUri);
        Assert.Equal("""{"messages":[{"role":"user","content":[{"text":"Hello!"}]}],"system":[{"text":"You are a chatbot."}],"inferenceConfig":{}}""", body);
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/bedrock/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date, "
            + "Signature=3464d3816aac8f96db5dcc309bd9f6578f3f170a9768466e26052ce04921a03c",
            message.Headers.GetValues("Authorization").Single());

        // The recorded answer (stopReason end_turn, usage 7 in / 30 out) as an OpenAI completion.
        Assert.True(result.IsSuccess);
        var answer = JsonNode.Parse(await AwsTestSnapshots.ReadAllAsync(result))!;
        Assert.Equal("Hello! How can I assist you today? Whether you have questions, need information, or just want to chat, I'm here to help.", (string?)answer["choices"]![0]!["message"]!["content"]);
        Assert.Equal("stop", (string?)answer["choices"]![0]!["finish_reason"]);
        Assert.Equal("us.amazon.nova-micro-v1:0", (string?)answer["model"]);
        Assert.Equal((7, 30, 37), ((int)answer["usage"]!["prompt_tokens"]!, (int)answer["usage"]!["completion_tokens"]!, (int)answer["usage"]!["total_tokens"]!));
    }

    [Theory]
    [InlineData("bedrock", "<html>Bad gateway</html>")]
    [InlineData("bedrock", """{"output":{"message":{"content":"not blocks"}}}""")]
    [InlineData("sagemaker", "[]")]
    public async Task UnreadableAnswer_IsAnInterruptedCall_NotACrash(string type, string answer)
    {
        var handler = new CapturingHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(answer, Encoding.UTF8, "application/json") });
        var host = type == "bedrock" ? "bedrock-runtime" : "runtime.sagemaker";
        var snapshot = AwsTestSnapshots.Build($$"""
            auth: { disabled: true }
            providers:
              - { name: p, type: {{type}}, base_url: "https://{{host}}.us-east-1.amazonaws.com" }
            deployments:
              - { name: d, provider: p, model: m, resilience: { retries: 0 }{{(type == "sagemaker" ? ", sagemaker: { payload: tgi, chat_template: llama3 }" : "")}} }
            routes:
              - { name: chat, deployment: d }
            """, AwsTestSnapshots.Example, TimeProvider.System, _ => handler);

        using var result = await snapshot.Deployments["d"].Invoker.SendAsync(AwsTestSnapshots.Chat("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);

        Assert.Equal((Tandem.Upstream.FailureKind.Connect, 502, "upstream_interrupted"), (result.Failure!.Kind, result.Failure.Status, result.Failure.Code));
    }

    /// <summary>Each recorded stream with what its decoded messages say it holds, read off the recorder's decoding by hand.</summary>
    public static TheoryData<string, string, string?, int, int> RecordedStreams() => new()
    {
        { "test_bedrock_model_stream.i0", "stop", null, 13, 82 },
        { "test_bedrock_model_iter_stream.i0", "tool_calls", "tooluse_lAG_zP8QRHmSYOwZzzaCqA get_temperature {\"city\":\"Paris\"}", 471, 91 },
        { "test_bedrock_model_iter_stream.i1", "stop", null, 577, 18 },
        { "test_bedrock_model_thinking_part_stream.i0", "stop", null, 36, 73 },
        { "test_bedrock_model_stream_empty_text_delta.i0", "stop", null, 70, 43 },
        { "test_bedrock_native_output_stream.i0", "stop", null, 210, 18 },
        { "test_bedrock_model_code_execution_tool_stream.i0", "tool_calls", "tooluse_ptgCcZ0uQu-UUMz0abqoWw final_result {\"result\":7006652.0}", 1002, 59 },
    };

    [Theory]
    [MemberData(nameof(RecordedStreams))]
    public void RecordedStream_BecomesOpenAiChunks(string name, string finish, string? toolCall, int promptTokens, int completionTokens)
    {
        var wire = File.ReadAllBytes(Path.Combine(Cassette.Folder, name + ".eventstream.bin"));
        using var decoded = JsonDocument.Parse(File.ReadAllText(Path.Combine(Cassette.Folder, name + ".eventstream.decoded.json")));
        var expectedText = string.Concat(decoded.RootElement.EnumerateArray()
            .Where(m => m.GetProperty("headers").GetProperty(":event-type").GetString() == "contentBlockDelta")
            .Select(m => JsonNode.Parse(m.GetProperty("payload").GetString()!)!["delta"]!["text"])
            .Where(t => t is not null)
            .Select(t => (string?)t));

        foreach (var piece in (int[])[1, 100, wire.Length])
        {
            var events = Translate(wire, piece);

            Assert.Equal("[DONE]", events[^1]);
            var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
            Assert.Equal("assistant", (string?)chunks[0]["choices"]![0]!["delta"]!["role"]);
            var deltas = chunks.Where(c => c["choices"]!.AsArray().Count > 0).Select(c => c["choices"]![0]!).ToList();
            Assert.Equal(expectedText, string.Concat(deltas.Select(d => (string?)d["delta"]!["content"])));
            Assert.Equal(finish, deltas.Select(d => (string?)d["finish_reason"]).Single(f => f is not null));
            var calls = deltas.SelectMany(d => d["delta"]!["tool_calls"]?.AsArray() ?? []).ToList();
            if (toolCall is null)
            {
                Assert.Empty(calls);
            }
            else
            {
                Assert.All(calls, c => Assert.Equal(0, (int)c!["index"]!));
                var assembled = $"{calls[0]!["id"]} {calls[0]!["function"]!["name"]} " + string.Concat(calls.Select(c => (string?)c!["function"]!["arguments"]));
                Assert.Equal(toolCall, assembled);
            }

            var usage = chunks[^1]["usage"]!;
            Assert.Empty(chunks[^1]["choices"]!.AsArray());
            Assert.Equal((promptTokens, completionTokens), ((int)usage["prompt_tokens"]!, (int)usage["completion_tokens"]!));
        }
    }

    [Fact]
    public void ShortRecording_TranslatesToExactlyTheseChunks()
    {
        var wire = File.ReadAllBytes(Path.Combine(Cassette.Folder, "test_bedrock_model_iter_stream.i1.eventstream.bin"));

        var events = Translate(wire, 37);

        const string head = "{\"id\":\"chatcmpl-r\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"nova\",\"choices\":[{\"index\":0,\"delta\":";
        Assert.Equal(
        [
            head + "{\"role\":\"assistant\"},\"logprobs\":null,\"finish_reason\":null}]}",
            head + "{\"content\":\"The\"},\"logprobs\":null,\"finish_reason\":null}]}",
            head + "{\"content\":\" current temperature in Paris, the\"},\"logprobs\":null,\"finish_reason\":null}]}",
            head + "{\"content\":\" capital of France,\"},\"logprobs\":null,\"finish_reason\":null}]}",
            head + "{\"content\":\" is 30\\u00B0C\"},\"logprobs\":null,\"finish_reason\":null}]}",
            head + "{\"content\":\".\"},\"logprobs\":null,\"finish_reason\":null}]}",
            head + "{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}",
            "{\"id\":\"chatcmpl-r\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"nova\",\"choices\":[],\"usage\":{\"prompt_tokens\":577,\"completion_tokens\":18,\"total_tokens\":595}}",
            "[DONE]",
        ], events);
    }

    [Fact]
    public void ThrottlingMidStream_EndsWithAnErrorEvent_AndBeforeTheFirstTokenIsAnIOException()
    {
        var start = Tandem.Simulator.AwsEventStreamWriter.Event("messageStart", "application/json", """{"role":"assistant"}"""u8);
        var delta = Tandem.Simulator.AwsEventStreamWriter.Event("contentBlockDelta", "application/json", """{"contentBlockIndex":0,"delta":{"text":"Hi"}}"""u8);
        var throttled = Tandem.Simulator.AwsEventStreamWriter.Exception("throttlingException", """{"message":"Too many tokens, please wait before trying again."}""");

        var events = Translate([.. start, .. delta, .. throttled], 1000);

        Assert.Equal("""{"error":{"message":"Too many tokens, please wait before trying again.","type":"upstream_error","param":null,"code":"throttlingException"}}""", events[^1]);
        Assert.DoesNotContain("[DONE]", events);
        var early = Assert.Throws<IOException>(() => Translate(throttled, 1000));
        Assert.Equal("Bedrock stream failed before its first token: throttlingException: Too many tokens, please wait before trying again.", early.Message);
    }

    [Fact]
    public void StreamWithoutMessageStop_IsIncomplete()
    {
        var wire = File.ReadAllBytes(Path.Combine(Cassette.Folder, "test_bedrock_model_iter_stream.i1.eventstream.bin"));
        // The first 6 messages (start, 5 deltas) are 143+ bytes each; keep everything before messageStop.
        var decoder = new AwsEventStreamDecoder();
        decoder.Write(wire);
        var kept = 0;
        for (var i = 0; i < 7 && decoder.TryRead(out var m); i++)
        {
            kept += m.TotalLength;
        }

        Assert.Throws<IOException>(() => Translate(wire[..kept], 1000));
    }

    [Theory]
    [InlineData(400, """{"message":"The provided model identifier is invalid."}""", ProviderErrorKind.Unspecified, "The provided model identifier is invalid.")]
    [InlineData(400, """{"message":"Input is too long for requested model."}""", ProviderErrorKind.ContextLength, "Input is too long for requested model.")]
    [InlineData(400, """{"message":"prompt is too long: 210000 tokens > 200000 maximum"}""", ProviderErrorKind.ContextLength, "prompt is too long: 210000 tokens > 200000 maximum")]
    [InlineData(424, """{"message":"The model returned an error."}""", ProviderErrorKind.Overloaded, "The model returned an error.")]
    [InlineData(429, """{"message":"Too many requests, please wait before trying again."}""", ProviderErrorKind.Unspecified, "Too many requests, please wait before trying again.")]
    public void ReadError_MapsBedrockErrors(int status, string body, ProviderErrorKind kind, string message)
    {
        var adapter = new BedrockAdapter(new AwsRequestSigner("us-east-1", "bedrock", new StaticAwsCredentials(AwsTestSnapshots.Example), TimeProvider.System), TimeProvider.System);

        var error = adapter.ReadError(status, Encoding.UTF8.GetBytes(body));

        Assert.Equal((kind, message), (error.Kind, error.Message));
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"n":3}""", "n")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"logit_bias":{"1":2}}""", "logit_bias")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"presence_penalty":0.5}""", "presence_penalty")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_object"}}""", "response_format.type")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}""", "messages[0].content[0].image_url.url")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/bmp;base64,AAAA"}}]}]}""", "messages[0].content[0].image_url.url")]
    [InlineData("""{"model":"m","tool_choice":"none","tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"Hi"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"1"}]}""", "tool_choice")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{not json"}}]}]}""", "messages[1].tool_calls[0].function.arguments")]
    public void TryWrite_WhatConverseCannotExpress_IsRefusedByName(string body, string param)
    {
        var ok = ConverseRequestWriter.TryWrite(Encoding.UTF8.GetBytes(body), "nova", new ArrayBufferWriter<byte>(), out var problem);

        Assert.False(ok);
        Assert.Equal(param, problem.Param);
    }

    [Fact]
    public void TryWrite_ImagesToolChoiceAndStops_Translate()
    {
        var body = """
            {"model":"m","max_completion_tokens":100,"stop":"END","tool_choice":{"type":"function","function":{"name":"f"}},
             "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
             "messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/jpg;base64,/9j/AA=="}}]},
                         {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"c2","type":"function","function":{"name":"f","arguments":""}}]},
                         {"role":"tool","tool_call_id":"c1","content":"a"},{"role":"tool","tool_call_id":"c2","content":[{"type":"text","text":"b"}]},
                         {"role":"user","content":"and?"}]}
            """;
        var output = new ArrayBufferWriter<byte>();

        Assert.True(ConverseRequestWriter.TryWrite(Encoding.UTF8.GetBytes(body), "nova", output, out _));

        Assert.Equal(
            string.Concat(
                """{"messages":[{"role":"user","content":[{"text":"What is this?"},{"image":{"format":"jpeg","source":{"bytes":"/9j/AA=="}}}]},""",
                """{"role":"assistant","content":[{"toolUse":{"toolUseId":"c1","name":"f","input":{}}},{"toolUse":{"toolUseId":"c2","name":"f","input":{}}}]},""",
                """{"role":"user","content":[{"toolResult":{"toolUseId":"c1","content":[{"text":"a"}],"status":"success"}},{"toolResult":{"toolUseId":"c2","content":[{"text":"b"}],"status":"success"}},{"text":"and?"}]}],""",
                """ "system":[],"inferenceConfig":{"maxTokens":100,"stopSequences":["END"]},""".TrimStart(),
                """ "toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"tool":{"name":"f"}}}}""".TrimStart()),
            Encoding.UTF8.GetString(output.WrittenSpan));
    }

    private static List<string> Translate(byte[] wire, int piece)
    {
        var translator = new ConverseStreamTranslator(new OpenAiChunkWriter("chatcmpl-r", "nova", 1_700_000_000));
        var output = new ArrayBufferWriter<byte>();
        for (var offset = 0; offset < wire.Length; offset += piece)
        {
            translator.Translate(wire.AsSpan(offset, Math.Min(piece, wire.Length - offset)), output);
        }

        translator.Complete(output);
        return AwsTestSnapshots.Events(Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
