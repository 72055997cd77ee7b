using System.Buffers;
using System.Text.Json;
using Tandem.Providers.Aws;
using Tandem.Wire;

namespace Tandem.Providers.Bedrock;

/// <summary>
/// Writes a Bedrock <c>Converse</c> request from an OpenAI chat request: system messages to <c>system</c>; user,
/// assistant and tool turns to alternating <c>messages</c> of content blocks (<c>text</c>, <c>image</c> bytes,
/// <c>toolUse</c>, <c>toolResult</c>); limits and sampling to <c>inferenceConfig</c>; functions and the tool choice
/// to <c>toolConfig</c>; a JSON schema to <c>outputConfig</c>.
/// </summary>
/// <remarks>
/// Bedrock wants roles to alternate, so consecutive turns of one role (several tool results, a user turn after
/// them) are merged into one message, and system messages anywhere in the conversation go to <c>system</c>.
/// What Converse cannot express is refused by name: more than one choice, log probabilities, logit bias,
/// presence and frequency penalties, <c>json_object</c> without a schema, image URLs (Bedrock takes bytes: send a
/// <c>data:</c> URL), and <c>tool_choice: none</c> in a conversation that already holds tool calls. <c>seed</c> is
/// left out: Converse has none, and OpenAI does not promise determinism either.
/// </remarks>
internal static class ConverseRequestWriter
{
    private const string Protocol = "Bedrock Converse";

    public static bool TryWrite(ChatRequestModel model, string deployment, IBufferWriter<byte> output, out RequestProblem problem)
    {
        problem = default;
        var refused = model.Untranslatable
            ?? (model.PresencePenalty is { } p && p != 0 ? "presence_penalty" : null)
            ?? (model.FrequencyPenalty is { } f && f != 0 ? "frequency_penalty" : null);
        if (refused is not null)
        {
            problem = ChatRequestModel.Refuse(deployment, Protocol, refused);
            return false;
        }

        if (model.ResponseFormat == "json_object" || (model.ResponseFormat == "json_schema" && model.SchemaJson is null))
        {
            problem = ChatRequestModel.Refuse(deployment, Protocol, "response_format", "Converse takes structured output as a JSON schema (type json_schema)");
            return false;
        }

        var historyHasTools = model.Messages.Any(m => m.ToolCalls.Count > 0 || m.Role == "tool");
        var sendTools = model.Tools.Count > 0 && model.ToolChoice != "none";
        if (model.Tools.Count > 0 && model.ToolChoice == "none" && historyHasTools)
        {
            problem = ChatRequestModel.Refuse(deployment, Protocol, "tool_choice", "Converse has no 'none' choice once the conversation holds tool calls");
            return false;
        }

        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        if (!WriteMessages(w, model, deployment, out problem))
        {
            return false;
        }

        w.WriteStartArray("system");
        foreach (var text in model.Messages.Where(m => m.Role == "system").Select(m => m.Text).Where(t => t.Length > 0))
        {
            w.WriteStartObject();
            w.WriteString("text", text);
            w.WriteEndObject();
        }

        w.WriteEndArray();

        WriteInferenceConfig(w, model);
        if (sendTools)
        {
            WriteToolConfig(w, model);
        }

        if (model.ResponseFormat == "json_schema")
        {
            w.WriteStartObject("outputConfig");
            w.WriteStartObject("textFormat");
            w.WriteString("type", "json_schema");
            w.WriteStartObject("structure");
            w.WriteStartObject("jsonSchema");
            w.WriteString("name", model.SchemaName ?? "response");
            if (model.SchemaDescription is { } description)
            {
                w.WriteString("description", description);
            }

            // Converse takes the schema as a string (as the recorded structured-output request shows).
            w.WriteString("schema", model.SchemaJson);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
        return true;
    }

    private static bool WriteMessages(Utf8JsonWriter w, ChatRequestModel model, string deployment, out RequestProblem problem)
    {
        problem = default;
        w.WriteStartArray("messages");
        string? open = null;
        for (var i = 0; i < model.Messages.Count; i++)
        {
            var m = model.Messages[i];
            if (m.Role == "system")
            {
                continue;
            }

            var role = m.Role is "assistant" ? "assistant" : "user";
            if (m.Role is not ("user" or "assistant" or "tool"))
            {
                problem = ChatRequestModel.Refuse(deployment, Protocol, $"messages[{i}].role", $"unknown role '{m.Role}'");
                return false;
            }

            var hasContent = m.Role == "tool" || m.ToolCalls.Count > 0 || m.Parts.Any(part => part.ImageUrl is not null || !string.IsNullOrEmpty(part.Text));
            if (!hasContent)
            {
                // Converse refuses empty content; an empty turn says nothing.
                continue;
            }

            if (open != role)
            {
                if (open is not null)
                {
                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteStartObject();
                w.WriteString("role", role);
                w.WriteStartArray("content");
                open = role;
            }

            if (!WriteBlocks(w, m, $"messages[{i}]", deployment, out problem))
            {
                return false;
            }
        }

        if (open is not null)
        {
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        return true;
    }

    private static bool WriteBlocks(Utf8JsonWriter w, ChatMessage m, string path, string deployment, out RequestProblem problem)
    {
        problem = default;
        if (m.Role == "tool")
        {
            w.WriteStartObject();
            w.WriteStartObject("toolResult");
            w.WriteString("toolUseId", m.ToolCallId ?? "");
            w.WriteStartArray("content");
            w.WriteStartObject();
            w.WriteString("text", m.Text);
            w.WriteEndObject();
            w.WriteEndArray();
            // OpenAI tool messages carry no outcome: a result is a result.
            w.WriteString("status", "success");
            w.WriteEndObject();
            w.WriteEndObject();
            return true;
        }

        for (var j = 0; j < m.Parts.Count; j++)
        {
            var part = m.Parts[j];
            if (part.Text is { Length: > 0 } text)
            {
                w.WriteStartObject();
                w.WriteString("text", text);
                w.WriteEndObject();
            }
            else if (part.ImageUrl is { } url)
            {
                if (!TryImage(url, out var format, out var data))
                {
                    problem = ChatRequestModel.Refuse(deployment, Protocol, $"{path}.content[{j}].image_url",
                        "Converse takes images as bytes: send a data: URL of a png, jpeg, gif or webp image");
                    return false;
                }

                w.WriteStartObject();
                w.WriteStartObject("image");
                w.WriteString("format", format);
                w.WriteStartObject("source");
                w.WriteString("bytes", data);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
            }
        }

        for (var k = 0; k < m.ToolCalls.Count; k++)
        {
            var call = m.ToolCalls[k];
            JsonDocument input;
            try
            {
                input = JsonDocument.Parse(string.IsNullOrWhiteSpace(call.Arguments) ? "{}" : call.Arguments);
            }
            catch (JsonException)
            {
                problem = new RequestProblem($"'{path}.tool_calls[{k}].function.arguments' is not JSON; Converse needs the arguments as a JSON object.", $"{path}.tool_calls[{k}].function.arguments", "invalid_value");
                return false;
            }

            using (input)
            {
                w.WriteStartObject();
                w.WriteStartObject("toolUse");
                w.WriteString("toolUseId", call.Id);
                w.WriteString("name", call.Name);
                w.WritePropertyName("input");
                input.RootElement.WriteTo(w);
                w.WriteEndObject();
                w.WriteEndObject();
            }
        }

        return true;
    }

    /// <summary>Reads a <c>data:image/…;base64,…</c> URL into Converse's image format and its base64 bytes.</summary>
    private static bool TryImage(string url, out string format, out string data)
    {
        format = data = "";
        const string prefix = "data:image/";
        var comma = url.IndexOf(',', StringComparison.Ordinal);
        if (!url.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || comma < 0)
        {
            return false;
        }

        var meta = url[prefix.Length..comma];
        if (!meta.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        format = meta[..^";base64".Length].ToLowerInvariant() switch
        {
            "png" => "png",
            "jpeg" or "jpg" => "jpeg",
            "gif" => "gif",
            "webp" => "webp",
            _ => "",
        };
        data = url[(comma + 1)..];
        return format.Length > 0;
    }

    private static void WriteInferenceConfig(Utf8JsonWriter w, ChatRequestModel model)
    {
        w.WriteStartObject("inferenceConfig");
        if (model.MaxTokens is { } max)
        {
            w.WriteNumber("maxTokens", max);
        }

        if (model.Temperature is { } temperature)
        {
            w.WriteNumber("temperature", temperature);
        }

        if (model.TopP is { } topP)
        {
            w.WriteNumber("topP", topP);
        }

        if (model.Stop.Count > 0)
        {
            w.WriteStartArray("stopSequences");
            foreach (var s in model.Stop)
            {
                w.WriteStringValue(s);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteToolConfig(Utf8JsonWriter w, ChatRequestModel model)
    {
        w.WriteStartObject("toolConfig");
        w.WriteStartArray("tools");
        foreach (var tool in model.Tools)
        {
            w.WriteStartObject();
            w.WriteStartObject("toolSpec");
            w.WriteString("name", tool.Name);
            if (tool.Description is { } description)
            {
                w.WriteString("description", description);
            }

            w.WriteStartObject("inputSchema");
            w.WritePropertyName("json");
            w.WriteRawValue(tool.ParametersJson);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        switch (model.ToolChoice)
        {
            case "required":
                w.WriteStartObject("toolChoice");
                w.WriteStartObject("any");
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            case "function":
                w.WriteStartObject("toolChoice");
                w.WriteStartObject("tool");
                w.WriteString("name", model.ToolChoiceName);
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            case "auto":
                w.WriteStartObject("toolChoice");
                w.WriteStartObject("auto");
                w.WriteEndObject();
                w.WriteEndObject();
                break;
        }

        w.WriteEndObject();
    }
}
