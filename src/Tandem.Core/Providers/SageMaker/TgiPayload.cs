using System.Buffers;
using System.Text.Json;
using Tandem.Configuration;
using Tandem.Providers.Aws;
using Tandem.Wire;

namespace Tandem.Providers.SageMaker;

/// <summary>
/// The <c>inputs</c> + <c>parameters</c> payload of Text Generation Inference and of LMI's TGI-compatible schema:
/// <c>{"inputs": prompt, "parameters": {max_new_tokens, temperature, top_p, stop, seed, details: true,
/// return_full_text: false}, "stream": bool}</c>; answers <c>[{"generated_text", "details": {finish_reason,
/// generated_tokens, input_length}}]</c> (or the object alone), streams of <c>{"token": {"text", "special"},
/// "generated_text", "details"}</c> events.
/// </summary>
internal static class TgiPayload
{
    private const string Protocol = "SageMaker TGI payload";

    /// <summary>Writes the request; false with the problem when the request uses what a raw prompt cannot carry.</summary>
    public static bool TryWrite(ChatRequestModel model, SageMakerDeploymentConfig settings, bool stream, string deployment, IBufferWriter<byte> output, out RequestProblem problem)
    {
        problem = default;
        string? refused = model.Untranslatable
            ?? (model.Tools.Count > 0 ? "tools" : null)
            ?? (model.ToolChoice is not null and not "none" and not "auto" ? "tool_choice" : null)
            ?? (model.ResponseFormat is not null and not "text" ? "response_format" : null)
            ?? (model.PresencePenalty is { } p && p != 0 ? "presence_penalty" : null);
        if (refused is not null)
        {
            problem = ChatRequestModel.Refuse(deployment, Protocol, refused);
            return false;
        }

        for (var i = 0; i < model.Messages.Count; i++)
        {
            var m = model.Messages[i];
            if (m.Role is not ("system" or "user" or "assistant") || m.ToolCalls.Count > 0)
            {
                problem = ChatRequestModel.Refuse(deployment, Protocol, $"messages[{i}]", "a prompt template carries only system, user and assistant text");
                return false;
            }

            var image = m.Parts.ToList().FindIndex(part => part.ImageUrl is not null);
            if (image >= 0)
            {
                problem = ChatRequestModel.Refuse(deployment, Protocol, $"messages[{i}].content[{image}]", "a prompt template carries only text");
                return false;
            }
        }

        // Relaxed escaping: the prompt's template markers (<|eot_id|>) stay readable in captures and logs; a request
        // body is never embedded in HTML.
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("inputs", ChatTemplate.Render(settings.ChatTemplate ?? ChatTemplates.Llama3, model.Messages));
        w.WriteStartObject("parameters");
        w.WriteNumber("max_new_tokens", model.MaxTokens ?? settings.DefaultMaxTokens);
        var sample = false;
        if (model.Temperature is > 0 and var t)
        {
            w.WriteNumber("temperature", t);
            sample = true;
        }

        // TGI takes top_p only strictly between 0 and 1 (1 is "no nucleus sampling").
        if (model.TopP is > 0 and < 1 and var topP)
        {
            w.WriteNumber("top_p", topP);
            sample = true;
        }

        w.WriteBoolean("do_sample", sample);
        if (model.Stop.Count > 0)
        {
            w.WriteStartArray("stop");
            foreach (var s in model.Stop)
            {
                w.WriteStringValue(s);
            }

            w.WriteEndArray();
        }

        if (model.Seed is { } seed)
        {
            w.WriteNumber("seed", seed);
        }

        if (model.FrequencyPenalty is { } f && f != 0)
        {
            w.WriteNumber("frequency_penalty", f);
        }

        w.WriteBoolean("details", true);
        w.WriteBoolean("return_full_text", false);
        w.WriteEndObject();
        w.WriteBoolean("stream", stream);
        w.WriteEndObject();
        return true;
    }

    /// <summary>A whole TGI answer as an OpenAI <c>chat.completion</c>.</summary>
    /// <exception cref="IOException">The answer is not a TGI answer (the seam treats it as a broken answer).</exception>
    public static byte[] TranslateWhole(ReadOnlyMemory<byte> body, OpenAiChunkWriter writer)
    {
        try
        {
            return TranslateWholeCore(body, writer);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new IOException("the SageMaker endpoint's answer could not be read: " + e.Message, e);
        }
    }

    private static byte[] TranslateWholeCore(ReadOnlyMemory<byte> body, OpenAiChunkWriter writer)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        var answer = root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 ? root[0] : root;
        if (answer.ValueKind != JsonValueKind.Object || !answer.TryGetProperty("generated_text", out var text) || text.ValueKind != JsonValueKind.String)
        {
            throw new IOException("the SageMaker endpoint's answer has no generated_text");
        }

        var details = answer.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
        return writer.Completion(text.GetString(), FinishReason(details), Usage(details));
    }

    /// <summary>The OpenAI finish reason of TGI's details (<c>length</c>, <c>eos_token</c>, <c>stop_sequence</c>).</summary>
    public static string FinishReason(JsonElement details) =>
        details.ValueKind == JsonValueKind.Object && details.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == "length"
            ? "length"
            : "stop";

    /// <summary>Usage from TGI's details, when they give both counts (<c>input_length</c> and <c>generated_tokens</c>).</summary>
    public static TokenUsage? Usage(JsonElement details) =>
        details.ValueKind == JsonValueKind.Object
        && details.TryGetProperty("generated_tokens", out var g) && g.ValueKind == JsonValueKind.Number && g.TryGetInt32(out var generated)
        && details.TryGetProperty("input_length", out var i) && i.ValueKind == JsonValueKind.Number && i.TryGetInt32(out var input)
            ? new TokenUsage { PromptTokens = input, CompletionTokens = generated }
            : null;
}
