using System.Text.Json;
using Tandem.Wire;

namespace Tandem.Providers.Aws;

/// <summary>A part of a message's content: text, or an image by URL (a <c>data:</c> URL or a web address).</summary>
internal readonly record struct ChatPart(string? Text, string? ImageUrl);

/// <summary>A tool call an assistant message made.</summary>
internal sealed record ChatToolCall(string Id, string Name, string Arguments);

/// <summary>One message of an OpenAI chat request, as the translating AWS adapters read it.</summary>
internal sealed record ChatMessage(string Role, IReadOnlyList<ChatPart> Parts, IReadOnlyList<ChatToolCall> ToolCalls, string? ToolCallId)
{
    /// <summary>The text parts joined (the message's text when it has no images).</summary>
    public string Text => string.Concat(Parts.Where(p => p.Text is not null).Select(p => p.Text));
}

/// <summary>A function the model may call.</summary>
internal sealed record ChatTool(string Name, string? Description, string ParametersJson);

/// <summary>
/// The parts of an OpenAI chat completion request that a translating adapter maps to another protocol, read once
/// with every field checked; what cannot be read is a <see cref="RequestProblem"/> naming the field (a 400).
/// Fields the adapters do not translate are either refused by them by name or, where OpenAI itself gives no
/// guarantee (<c>seed</c>) or the field only concerns OpenAI's platform (<c>user</c>, <c>metadata</c>, <c>store</c>,
/// <c>service_tier</c>, <c>parallel_tool_calls</c>), left out.
/// </summary>
internal sealed class ChatRequestModel
{
    public List<ChatMessage> Messages { get; } = [];

    public List<ChatTool> Tools { get; } = [];

    /// <summary><c>auto</c>, <c>none</c>, <c>required</c>, or <c>function</c> (with <see cref="ToolChoiceName"/>); null when not set.</summary>
    public string? ToolChoice { get; private set; }

    public string? ToolChoiceName { get; private set; }

    public int? MaxTokens { get; private set; }

    public double? Temperature { get; private set; }

    public double? TopP { get; private set; }

    public long? Seed { get; private set; }

    public double? FrequencyPenalty { get; private set; }

    public double? PresencePenalty { get; private set; }

    public List<string> Stop { get; } = [];

    /// <summary><c>text</c>, <c>json_object</c> or <c>json_schema</c>; null when not set.</summary>
    public string? ResponseFormat { get; private set; }

    public string? SchemaName { get; private set; }

    public string? SchemaDescription { get; private set; }

    public string? SchemaJson { get; private set; }

    /// <summary>Fields present that no AWS protocol can express (<c>n</c> above 1, <c>logprobs</c>…), by name.</summary>
    public string? Untranslatable { get; private set; }

    /// <summary>Reads <paramref name="body"/>; false with the problem when a field is malformed.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> body, out ChatRequestModel model, out RequestProblem problem)
    {
        model = new ChatRequestModel();
        try
        {
            using var doc = JsonDocument.Parse(body);
            return model.Read(doc.RootElement, out problem);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            problem = new RequestProblem("The request could not be read for translation: " + e.Message, null, "invalid_value");
            return false;
        }
    }

    private bool Read(JsonElement root, out RequestProblem problem)
    {
        problem = default;
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            problem = Invalid("messages", "must be an array of messages");
            return false;
        }

        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (!ReadMessage(message, $"messages[{i}]", out problem))
            {
                return false;
            }

            i++;
        }

        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            var t = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                var path = $"tools[{t++}]";
                if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                    || (tool.TryGetProperty("type", out var type) && type.GetString() != "function"))
                {
                    problem = Unsupported(path, "only function tools can be translated");
                    return false;
                }

                if (!function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                {
                    problem = Invalid(path + ".function.name", "is required");
                    return false;
                }

                var parameters = function.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object ? p.GetRawText() : """{"type":"object","properties":{}}""";
                Tools.Add(new ChatTool(name.GetString()!, String(function, "description"), parameters));
            }
        }

        if (root.TryGetProperty("tool_choice", out var choice) && choice.ValueKind != JsonValueKind.Null)
        {
            if (choice.ValueKind == JsonValueKind.String && choice.GetString() is "auto" or "none" or "required")
            {
                ToolChoice = choice.GetString();
            }
            else if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object
                && f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
            {
                ToolChoice = "function";
                ToolChoiceName = n.GetString();
            }
            else
            {
                problem = Unsupported("tool_choice", "must be auto, none, required or a function");
                return false;
            }
        }

        MaxTokens = Int(root, "max_completion_tokens") ?? Int(root, "max_tokens");
        Temperature = Number(root, "temperature");
        TopP = Number(root, "top_p");
        Seed = root.TryGetProperty("seed", out var seed) && seed.ValueKind == JsonValueKind.Number ? seed.GetInt64() : null;
        FrequencyPenalty = Number(root, "frequency_penalty");
        PresencePenalty = Number(root, "presence_penalty");
        if (root.TryGetProperty("stop", out var stop))
        {
            if (stop.ValueKind == JsonValueKind.String)
            {
                Stop.Add(stop.GetString()!);
            }
            else if (stop.ValueKind == JsonValueKind.Array)
            {
                Stop.AddRange(stop.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.String).Select(s => s.GetString()!));
            }
        }

        if (root.TryGetProperty("response_format", out var format) && format.ValueKind == JsonValueKind.Object)
        {
            ResponseFormat = String(format, "type");
            if (ResponseFormat == "json_schema" && format.TryGetProperty("json_schema", out var js) && js.ValueKind == JsonValueKind.Object)
            {
                SchemaName = String(js, "name");
                SchemaDescription = String(js, "description");
                SchemaJson = js.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.Object ? schema.GetRawText() : null;
            }
        }

        Untranslatable = root.TryGetProperty("n", out var nEl) && nEl.ValueKind == JsonValueKind.Number && nEl.GetInt32() != 1 ? "n"
            : IsTrue(root, "logprobs") ? "logprobs"
            : Present(root, "top_logprobs") ? "top_logprobs"
            : Present(root, "logit_bias") ? "logit_bias"
            : Present(root, "audio") ? "audio"
            : Present(root, "prediction") ? "prediction"
            : null;
        return true;
    }

    private bool ReadMessage(JsonElement message, string path, out RequestProblem problem)
    {
        problem = default;
        if (message.ValueKind != JsonValueKind.Object || String(message, "role") is not { } role)
        {
            problem = Invalid(path + ".role", "is required");
            return false;
        }

        if (role == "developer")
        {
            role = "system";
        }

        var parts = new List<ChatPart>();
        if (message.TryGetProperty("content", out var content))
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                parts.Add(new ChatPart(content.GetString(), null));
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                var j = 0;
                foreach (var part in content.EnumerateArray())
                {
                    var partPath = $"{path}.content[{j++}]";
                    switch (String(part, "type"))
                    {
                        case "text" when String(part, "text") is { } text:
                            parts.Add(new ChatPart(text, null));
                            break;
                        case "image_url" when part.TryGetProperty("image_url", out var image) && String(image, "url") is { } url:
                            parts.Add(new ChatPart(null, url));
                            break;
                        default:
                            problem = Unsupported(partPath, "only text and image_url content parts can be translated");
                            return false;
                    }
                }
            }
        }

        var calls = new List<ChatToolCall>();
        if (message.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
        {
            var k = 0;
            foreach (var call in toolCalls.EnumerateArray())
            {
                var callPath = $"{path}.tool_calls[{k++}]";
                if (!call.TryGetProperty("function", out var function) || String(function, "name") is not { } name)
                {
                    problem = Invalid(callPath + ".function", "needs a name");
                    return false;
                }

                calls.Add(new ChatToolCall(String(call, "id") ?? "", name, String(function, "arguments") ?? "{}"));
            }
        }

        Messages.Add(new ChatMessage(role, parts, calls, String(message, "tool_call_id")));
        return true;
    }

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    private static double? Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static bool IsTrue(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static bool Present(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    private static RequestProblem Invalid(string param, string what) => new($"'{param}' {what}.", param, "invalid_value");

    private static RequestProblem Unsupported(string param, string what) => new($"'{param}': {what}.", param, "unsupported_field");

    /// <summary>The problem of a request field the deployment's protocol cannot express.</summary>
    public static RequestProblem Refuse(string deployment, string protocol, string param, string? why = null) =>
        new($"Deployment '{deployment}' ({protocol}) cannot translate '{param}'{(why is null ? "" : ": " + why)}.", param, "unsupported_field");
}
