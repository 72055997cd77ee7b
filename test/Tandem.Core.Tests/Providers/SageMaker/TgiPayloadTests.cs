using System.Buffers;
using System.Text;
using Tandem.Configuration;
using Tandem.Providers;
using Tandem.Providers.Translation;
using Tandem.Providers.SageMaker;
using Xunit;

namespace Tandem.Core.Tests.Providers.SageMaker;

/// <summary>The TGI <c>inputs</c> payload: chat templates, parameters, refusals, and whole answers.</summary>
public sealed class TgiPayloadTests
{
    private const string Conversation = """
        {"model":"m","messages":[
          {"role":"system","content":"Be brief."},
          {"role":"user","content":"Hi"},
          {"role":"assistant","content":"Hello!"},
          {"role":"user","content":[{"type":"text","text":"Capital of "},{"type":"text","text":"France?"}]}]}
        """;

    [Theory]
    [InlineData(ChatTemplates.Llama3,
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nCapital of France?<|eot_id|>"
        + "<|start_header_id|>assistant<|end_header_id|>\n\n")]
    [InlineData(ChatTemplates.ChatMl,
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
        + "<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\n")]
    [InlineData(ChatTemplates.Mistral, "<s>[INST] Be brief.\n\nHi [/INST] Hello!</s>[INST] Capital of France? [/INST]")]
    public void Render_WritesTheModelsChatFormat(string template, string expected)
    {
        Assert.True(ChatRequestReader.TryRead(Encoding.UTF8.GetBytes(Conversation), TgiPayload.Capabilities, "llama", out var request, out _));
        using (request)
        {
            Assert.Equal(expected, ChatTemplate.Render(template, request.Messages));
        }
    }

    [Fact]
    public void TryWrite_MapsParameters_TopPOfOneAndZeroTemperatureMeanGreedy()
    {
        var body = """{"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":50,"temperature":0,"top_p":1,"stop":["\n\n","END"],"seed":7,"user":"u1"}""";

        Assert.Equal(
            """{"inputs":"<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n","parameters":{"max_new_tokens":50,"do_sample":false,"stop":["\n\n","END"],"seed":7,"details":true,"return_full_text":false},"stream":true}""",
            Write(body, stream: true));
    }

    [Fact]
    public void TryWrite_SamplingAndDefaultLimit()
    {
        var body = """{"model":"m","messages":[{"role":"user","content":"Hi"}],"temperature":0.7,"top_p":0.9,"stop":"END"}""";

        Assert.Equal(
            """{"inputs":"<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n","parameters":{"max_new_tokens":1024,"temperature":0.7,"top_p":0.9,"do_sample":true,"stop":["END"],"details":true,"return_full_text":false},"stream":false}""",
            Write(body, stream: false));
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"f"}}]}""", "tools", "unsupported_parameter")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"n":2}""", "n", "unsupported_parameter")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"logprobs":true}""", "logprobs", "unsupported_parameter")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_object"}}""", "response_format.type", "unsupported_value")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}""", "messages[0].content[1]", "unsupported_value")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}]}""", "messages[1].tool_calls", "unsupported_parameter")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}""", "messages[0].content[0]", "unsupported_value")]
    public void TryWrite_WhatAPromptCannotCarry_IsRefusedByName(string body, string param, string code)
    {
        var output = new ArrayBufferWriter<byte>();
        var ok = TgiPayload.TryWrite(Encoding.UTF8.GetBytes(body), new SageMakerDeploymentConfig { Payload = "tgi", ChatTemplate = "chatml" }, false, "llama", output, out var problem);

        Assert.False(ok);
        Assert.Equal((param, code), (problem.Param, problem.Code));
        Assert.Equal(0, output.WrittenCount);
    }

    [Theory]
    [InlineData("""[{"generated_text":"Paris.","details":{"finish_reason":"length","generated_tokens":2,"input_length":9}}]""", "length", ""","usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}""")]
    [InlineData("""{"generated_text":"Paris."}""", "stop", "")]
    public void TranslateWhole_GivesAChatCompletion(string tgi, string finish, string usage)
    {
        var writer = new OpenAiChunkWriter("chatcmpl-1", "llama", 1_700_000_000);

        var json = Encoding.UTF8.GetString(TgiPayload.TranslateWhole(Encoding.UTF8.GetBytes(tgi), writer));

        Assert.Equal(
            "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"llama\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Paris.\"},\"logprobs\":null,\"finish_reason\":\""
            + finish + "\"}]" + usage + "}",
            json);
    }

    private static string Write(string body, bool stream)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(TgiPayload.TryWrite(Encoding.UTF8.GetBytes(body), new SageMakerDeploymentConfig { Payload = "tgi", ChatTemplate = "chatml" }, stream, "llama", output, out _));
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
