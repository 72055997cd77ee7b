using System.Text.Json;
using System.Text.Unicode;

namespace Tandem.Simulator;

/// <summary>
/// The shape checks OpenAI makes before it answers: a malformed request gets a 400 naming the offending parameter,
/// as from the real API, never a 500. A gateway in front then relays the client's error instead of counting an
/// upstream failure against the deployment's breaker.
/// </summary>
public sealed partial class SimulatorServer
{
    /// <summary>Why a request body was refused.</summary>
    private readonly record struct BadRequest(string Message, string? Param, string Code);

    private static BadRequest? CheckRequest(byte[] body, JsonElement root, Operation operation)
    {
        if (!Utf8.IsValid(body))
        {
            return new("We could not parse the JSON body of your request: it is not valid UTF-8.", null, "invalid_json");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return new($"Invalid type for the request body: expected an object, but got {Describe(root)} instead.", null, "invalid_type");
        }

        if (TypeProblem(root, "model", JsonValueKind.String) is { } model)
        {
            return model;
        }

        if (root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String && !Decodes(m))
        {
            return new("Invalid value for 'model': it holds an unpaired surrogate escape.", "model", "invalid_value");
        }

        return operation switch
        {
            Operation.Chat => CheckChat(root),
            Operation.Completion => Either(root, "prompt", JsonValueKind.String, JsonValueKind.Array) ?? Count(root, "n", 1, 128),
            _ => Either(root, "input", JsonValueKind.String, JsonValueKind.Array)
                ?? Count(root, "dimensions", 1, 4096)
                ?? TypeProblem(root, "encoding_format", JsonValueKind.String),
        };
    }

    private static BadRequest? CheckChat(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var messages))
        {
            return new("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
        }

        if (messages.ValueKind != JsonValueKind.Array)
        {
            return new($"Invalid type for 'messages': expected an array of objects, but got {Describe(messages)} instead.", "messages", "invalid_type");
        }

        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var path = $"messages[{i++}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                return new($"Invalid type for '{path}': expected an object, but got {Describe(message)} instead.", path, "invalid_type");
            }

            if (TypeProblem(message, "role", JsonValueKind.String, path) is { } role)
            {
                return role;
            }

            if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
            {
                var j = 0;
                foreach (var part in content.EnumerateArray())
                {
                    var partPath = $"{path}.content[{j++}]";
                    if (part.ValueKind != JsonValueKind.Object)
                    {
                        return new($"Invalid type for '{partPath}': expected an object, but got {Describe(part)} instead.", partPath, "invalid_type");
                    }

                    if (TypeProblem(part, "text", JsonValueKind.String, partPath) is { } text)
                    {
                        return text;
                    }
                }
            }
            else if (Either(message, "content", JsonValueKind.String, JsonValueKind.Array, path) is { } wrong)
            {
                return wrong;
            }
        }

        if (root.TryGetProperty("tools", out var tools))
        {
            if (tools.ValueKind != JsonValueKind.Array)
            {
                return new($"Invalid type for 'tools': expected an array, but got {Describe(tools)} instead.", "tools", "invalid_type");
            }

            var k = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                var toolPath = $"tools[{k++}]";
                if (tool.ValueKind != JsonValueKind.Object)
                {
                    return new($"Invalid type for '{toolPath}': expected an object, but got {Describe(tool)} instead.", toolPath, "invalid_type");
                }
            }
        }

        return Count(root, "n", 1, 128);
    }

    /// <summary>A member that, when present and not null, must be of <paramref name="kind"/>.</summary>
    private static BadRequest? TypeProblem(JsonElement obj, string name, JsonValueKind kind, string? parent = null)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null || value.ValueKind == kind)
        {
            return null;
        }

        var path = parent is null ? name : parent + "." + name;
        return new($"Invalid type for '{path}': expected {Article(kind)}, but got {Describe(value)} instead.", path, "invalid_type");
    }

    private static BadRequest? Either(JsonElement obj, string name, JsonValueKind first, JsonValueKind second, string? parent = null)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind is JsonValueKind.Null || value.ValueKind == first || value.ValueKind == second)
        {
            return null;
        }

        var path = parent is null ? name : parent + "." + name;
        return new($"Invalid type for '{path}': expected {Article(first)} or {Article(second)}, but got {Describe(value)} instead.", path, "invalid_type");
    }

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>], when present.</summary>
    private static BadRequest? Count(JsonElement obj, string name, int min, int max)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n >= min && n <= max
            ? null
            : new($"Invalid value for '{name}': expected a whole number from {min} to {max}.", name, "invalid_value");
    }

    private static bool Decodes(JsonElement text)
    {
        try
        {
            _ = text.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string Article(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Number => "a number",
        _ => "a boolean",
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
