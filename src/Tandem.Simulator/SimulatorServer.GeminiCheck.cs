using System.Text.Json;

namespace Tandem.Simulator;

/// <summary>What Google's API refuses with a 400, in the style of its own messages.</summary>
public sealed partial class SimulatorServer
{
    private static string Unknown(string name, string at) => $"Invalid JSON payload received. Unknown name \"{name}\" at '{at}': Cannot find field.";

    private static string? CheckGemini(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "Invalid JSON payload received. Expected an object.";
        }

        foreach (var p in root.EnumerateObject())
        {
            if (!GeminiFields.Contains(p.Name))
            {
                return Unknown(p.Name, "");
            }
        }

        if (!root.TryGetProperty("contents", out var contents) || contents.ValueKind != JsonValueKind.Array || contents.GetArrayLength() == 0)
        {
            return "* GenerateContentRequest.contents: contents is not specified";
        }

        if (root.TryGetProperty("generationConfig", out var generation))
        {
            foreach (var p in generation.EnumerateObject())
            {
                if (!GenerationFields.Contains(p.Name))
                {
                    return Unknown(p.Name, "generation_config");
                }
            }

            if (generation.TryGetProperty("responseSchema", out var rs) && CheckSchema(rs, "generation_config.response_schema") is { } badSchema)
            {
                return badSchema;
            }

            if ((generation.TryGetProperty("responseSchema", out _) || generation.TryGetProperty("responseJsonSchema", out _))
                && !(generation.TryGetProperty("responseMimeType", out var mime) && mime.GetString() == "application/json"))
            {
                return "* GenerateContentRequest.generation_config.response_mime_type: must be application/json when a response schema is set.";
            }
        }

        var functions = new HashSet<string>(StringComparer.Ordinal);
        if (root.TryGetProperty("tools", out var tools))
        {
            var t = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                var f = 0;
                foreach (var function in tool.TryGetProperty("functionDeclarations", out var fd) ? fd.EnumerateArray() : default)
                {
                    var at = $"tools[{t}].function_declarations[{f}]";
                    if (!function.TryGetProperty("name", out var name) || name.GetString() is not { Length: > 0 } n)
                    {
                        return $"* GenerateContentRequest.{at}.name: Invalid function name.";
                    }

                    functions.Add(n);
                    if (function.TryGetProperty("parameters", out var parameters) && CheckSchema(parameters, at + ".parameters") is { } badParameters)
                    {
                        return badParameters;
                    }

                    f++;
                }

                t++;
            }
        }

        return CheckContents(contents, functions);
    }

    private static string? CheckContents(JsonElement contents, HashSet<string> functions)
    {
        var called = new HashSet<string>(StringComparer.Ordinal);
        var c = 0;
        foreach (var content in contents.EnumerateArray())
        {
            var role = content.TryGetProperty("role", out var r) ? r.GetString() : "user";
            if (role is not ("user" or "model"))
            {
                return $"* GenerateContentRequest.contents[{c}].role: Please use a valid role: user, model.";
            }

            if (!content.TryGetProperty("parts", out var parts) || parts.ValueKind != JsonValueKind.Array || parts.GetArrayLength() == 0)
            {
                return $"* GenerateContentRequest.contents[{c}].parts: contents.parts must not be empty.";
            }

            var calls = new HashSet<string>(StringComparer.Ordinal);
            var p = 0;
            foreach (var part in parts.EnumerateArray())
            {
                var data = 0;
                foreach (var field in part.EnumerateObject())
                {
                    switch (field.Name)
                    {
                        case "text" or "inlineData" or "fileData" or "functionCall" or "functionResponse":
                            data++;
                            break;
                        case "thought" or "thoughtSignature":
                            break;
                        default:
                            return Unknown(field.Name, $"contents[{c}].parts[{p}]");
                    }
                }

                if (data != 1)
                {
                    return $"* GenerateContentRequest.contents[{c}].parts[{p}].data: required oneof field 'data' must have one initialized field";
                }

                if (part.TryGetProperty("functionCall", out var call))
                {
                    if (role != "model" || !call.TryGetProperty("name", out var name) || !functions.Contains(name.GetString() ?? ""))
                    {
                        return $"* GenerateContentRequest.contents[{c}].parts[{p}].function_call: a function call must name a declared function and come from the model.";
                    }

                    calls.Add(name.GetString()!);
                }
                else if (part.TryGetProperty("functionResponse", out var response))
                {
                    if (!response.TryGetProperty("name", out var name) || !called.Contains(name.GetString() ?? "")
                        || !response.TryGetProperty("response", out var value) || value.ValueKind != JsonValueKind.Object)
                    {
                        return $"* GenerateContentRequest.contents[{c}].parts[{p}].function_response: a function response must answer a call of the previous turn, with an object.";
                    }
                }

                p++;
            }

            called = calls;
            c++;
        }

        return null;
    }

    /// <summary>Gemini's schema is a subset of OpenAPI 3.0: upper-case types, a closed set of fields.</summary>
    private static string? CheckSchema(JsonElement schema, string at)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return $"* GenerateContentRequest.{at}: a schema must be an object";
        }

        foreach (var p in schema.EnumerateObject())
        {
            if (!SchemaFields.Contains(p.Name))
            {
                return Unknown(p.Name, at);
            }

            switch (p.Name)
            {
                case "type" when p.Value.GetString() is not ("STRING" or "NUMBER" or "INTEGER" or "BOOLEAN" or "ARRAY" or "OBJECT" or "NULL"):
                    return $"Invalid JSON payload received. Invalid value at '{at}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), \"{p.Value.GetString()}\"";
                case "properties":
                    foreach (var property in p.Value.EnumerateObject())
                    {
                        if (CheckSchema(property.Value, $"{at}.properties[{property.Name}].value") is { } bad)
                        {
                            return bad;
                        }
                    }

                    break;
                case "items" when CheckSchema(p.Value, at + ".items") is { } badItems:
                    return badItems;
                case "anyOf":
                    var i = 0;
                    foreach (var option in p.Value.EnumerateArray())
                    {
                        if (CheckSchema(option, $"{at}.any_of[{i++}]") is { } bad)
                        {
                            return bad;
                        }
                    }

                    break;
            }
        }

        return null;
    }

    private static string? CheckEmbedding(JsonElement root, string method)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "Invalid JSON payload received. Expected an object.";
        }

        switch (method)
        {
            case "predict":
                return root.TryGetProperty("instances", out var instances) && instances.ValueKind == JsonValueKind.Array && instances.GetArrayLength() > 0
                    && instances.EnumerateArray().All(i => i.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
                    ? null
                    : "instances: each instance needs a content string";
            case "batchEmbedContents":
                return root.TryGetProperty("requests", out var requests) && requests.ValueKind == JsonValueKind.Array && requests.GetArrayLength() > 0
                    && requests.EnumerateArray().All(r => r.TryGetProperty("model", out _) && CheckEmbedContent(r) is null)
                    ? null
                    : "* BatchEmbedContentsRequest.requests: each request needs a model and content";
            default:
                return CheckEmbedContent(root);
        }
    }

    private static string? CheckEmbedContent(JsonElement request)
    {
        foreach (var p in request.EnumerateObject())
        {
            if (p.Name is not ("model" or "content" or "outputDimensionality" or "taskType" or "title"))
            {
                return Unknown(p.Name, "");
            }
        }

        return request.TryGetProperty("content", out var content) && content.TryGetProperty("parts", out var parts) && parts.GetArrayLength() > 0
            ? null
            : "* EmbedContentRequest.content: content is not specified";
    }
}
