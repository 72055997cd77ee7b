using System.Buffers;
using System.Text.Json;
using Tandem.Configuration;
using Tandem.Providers.Translation;
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
    /// <summary>How error messages name the protocol.</summary>
    public const string Api = "SageMaker's TGI payload (a prompt rendered from a chat template)";

    /// <summary>What a prompt and TGI's parameters can carry: text of system, user and assistant turns, sampling, stops and a seed.</summary>
    public static readonly TranslationCapabilities Capabilities = new(Api, "TGI")
    {
        FrequencyPenalty = true,
    };

    /// <summary>Writes the request; false with the problem when the request uses what a raw prompt cannot carry.</summary>
    public static bool TryWrite(ReadOnlyMemory<byte> openAiBody, SageMakerDeploymentConfig settings, bool stream, string deployment, IBufferWriter<byte> output, out RequestProblem problem)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!ChatRequestReader.TryRead(openAiBody, Capabilities, deployment, out var request, out problem))
        {
            return false;
        }

        using (request)
        {
            // Relaxed escaping: the prompt's template markers (<|eot_id|>) stay readable in captures and logs.
            using var w = new Utf8JsonWriter(output, TranslationJson.WriterOptions);
            w.WriteStartObject();
            w.WriteString("inputs", ChatTemplate.Render(settings.ChatTemplate ?? ChatTemplates.Llama3, request.Messages));
            w.WriteStartObject("parameters");
            w.WriteNumber("max_new_tokens", request.MaxTokens ?? settings.DefaultMaxTokens);
            var sample = false;
            if (request.Temperature.IsSet && request.Temperature.Value > 0)
            {
                w.WriteNumber("temperature", request.Temperature.Value);
                sample = true;
            }

            // TGI takes top_p only strictly between 0 and 1 (1 is "no nucleus sampling").
            if (request.TopP.IsSet && request.TopP.Value is > 0 and < 1)
            {
                w.WriteNumber("top_p", request.TopP.Value);
                sample = true;
            }

            w.WriteBoolean("do_sample", sample);
            if (request.Stop.Count > 0)
            {
                request.Stop.WriteArray(w, "stop");
            }

            if (request.Seed.IsSet)
            {
                w.WriteNumber("seed", request.Seed.Int64);
            }

            if (request.FrequencyPenalty.IsSet && request.FrequencyPenalty.Value != 0)
            {
                w.WriteNumber("frequency_penalty", request.FrequencyPenalty.Value);
            }

            w.WriteBoolean("details", true);
            w.WriteBoolean("return_full_text", false);
            w.WriteEndObject();
            w.WriteBoolean("stream", stream);
            w.WriteEndObject();
            return true;
        }
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
