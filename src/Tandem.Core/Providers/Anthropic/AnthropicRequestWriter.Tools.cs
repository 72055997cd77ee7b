using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Anthropic;

/// <summary>Tools, tool choice and JSON mode of an Anthropic request.</summary>
internal static partial class AnthropicRequestWriter
{
    /// <summary>Writes tools, tool choice and JSON mode (a forced tool, or structured output).</summary>
    private static bool TryWriteTools(Utf8JsonWriter w, in Fields f, AnthropicRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        if (!TryReadResponseFormat(f.ResponseFormat, options, out var format, out problem))
        {
            return false;
        }

        var clientTools = f.Tools.ValueKind == JsonValueKind.Array && f.Tools.GetArrayLength() > 0;
        if (format.JsonTool && clientTools)
        {
            problem = TranslationProblems.UnsupportedValue("response_format", options.Deployment, Api,
                "JSON mode is a forced tool on this deployment and cannot be combined with 'tools'");
            return false;
        }

        if (clientTools)
        {
            w.WriteStartArray("tools");
            var i = 0;
            foreach (var tool in f.Tools.EnumerateArray())
            {
                if (!TryWriteTool(w, tool, i++, options, out problem))
                {
                    return false;
                }
            }

            w.WriteEndArray();
            if (!TryWriteToolChoice(w, f.ToolChoice, f.NoParallelToolCalls, options, out problem))
            {
                return false;
            }
        }
        else if (format.JsonTool)
        {
            w.WriteStartArray("tools");
            w.WriteStartObject();
            w.WriteString("name", format.ToolName);
            w.WriteString("description", format.Description ?? "Answer by calling this tool: its input is your answer, a JSON object.");
            w.WritePropertyName("input_schema");
            if (format.Schema.ValueKind == JsonValueKind.Object)
            {
                format.Schema.WriteTo(w);
            }
            else
            {
                w.WriteStartObject();
                w.WriteString("type", "object");
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartObject("tool_choice");
            w.WriteString("type", "tool");
            w.WriteString("name", format.ToolName);
            w.WriteEndObject();
        }

        if (format.Native)
        {
            w.WriteStartObject("output_config");
            w.WriteStartObject("format");
            w.WriteString("type", "json_schema");
            w.WritePropertyName("schema");
            format.Schema.WriteTo(w);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return true;
    }

    private static bool TryWriteTool(Utf8JsonWriter w, JsonElement tool, int i, AnthropicRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            problem = TranslationProblems.Invalid($"tools[{i}]", "expected an object with a 'type'.");
            return false;
        }

        if (type.GetString() != "function")
        {
            problem = TranslationProblems.UnsupportedValue($"tools[{i}].type", options.Deployment, Api, $"only function tools can be translated, not '{type.GetString()}'");
            return false;
        }

        if (!tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
            || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
        {
            problem = TranslationProblems.Invalid($"tools[{i}].function.name", "every function needs a name.");
            return false;
        }

        w.WriteStartObject();
        w.WritePropertyName("name");
        name.WriteTo(w);
        if (function.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String)
        {
            w.WritePropertyName("description");
            description.WriteTo(w);
        }

        w.WritePropertyName("input_schema");
        if (function.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object)
        {
            parameters.WriteTo(w);
        }
        else
        {
            // OpenAI allows a function without parameters; Anthropic requires an object schema.
            w.WriteStartObject();
            w.WriteString("type", "object");
            w.WriteStartObject("properties");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        if (function.TryGetProperty("strict", out var strict) && strict.ValueKind == JsonValueKind.True)
        {
            w.WriteBoolean("strict", true);
        }

        if (tool.TryGetProperty("cache_control", out var cache) && cache.ValueKind == JsonValueKind.Object)
        {
            // Anthropic's prompt caching marker, accepted on tools as an extension (as LiteLLM and others do).
            w.WritePropertyName("cache_control");
            cache.WriteTo(w);
        }

        w.WriteEndObject();
        return true;
    }

    private static bool TryWriteToolChoice(Utf8JsonWriter w, JsonElement choice, bool noParallel, AnthropicRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        string type;
        string? name = null;
        if (choice.ValueKind == JsonValueKind.Undefined)
        {
            type = "auto";
        }
        else if (choice.ValueKind == JsonValueKind.String)
        {
            switch (choice.GetString())
            {
                case "auto":
                    type = "auto";
                    break;
                case "none":
                    type = "none";
                    break;
                case "required":
                    type = "any";
                    break;
                default:
                    problem = TranslationProblems.Invalid("tool_choice", "expected 'none', 'auto', 'required' or a function.");
                    return false;
            }
        }
        else if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            && t.GetString() == "function" && choice.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object
            && f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
        {
            type = "tool";
            name = n.GetString();
        }
        else
        {
            problem = TranslationProblems.UnsupportedValue("tool_choice", options.Deployment, Api, "only 'none', 'auto', 'required' and a named function can be translated");
            return false;
        }

        if (choice.ValueKind == JsonValueKind.Undefined && !noParallel)
        {
            return true; // Anthropic's default is auto, as OpenAI's is.
        }

        w.WriteStartObject("tool_choice");
        w.WriteString("type", type);
        if (name is not null)
        {
            w.WriteString("name", name);
        }

        if (noParallel && type != "none")
        {
            w.WriteBoolean("disable_parallel_tool_use", true);
        }

        w.WriteEndObject();
        return true;
    }

    private static bool TryReadResponseFormat(JsonElement rf, AnthropicRequestOptions options, out JsonFormat format, out RequestProblem problem)
    {
        format = default;
        problem = default;
        if (rf.ValueKind == JsonValueKind.Undefined)
        {
            return true;
        }

        if (rf.ValueKind != JsonValueKind.Object || !rf.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            problem = TranslationProblems.Invalid("response_format", "expected an object with a 'type'.");
            return false;
        }

        switch (type.GetString())
        {
            case "text":
                return true;
            case "json_object":
                format = new JsonFormat(JsonTool: true, Native: false, JsonToolName, null, default);
                return true;
            case "json_schema":
                if (!rf.TryGetProperty("json_schema", out var js) || js.ValueKind != JsonValueKind.Object
                    || !js.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
                {
                    problem = TranslationProblems.Invalid("response_format.json_schema.schema", "a json_schema response format needs a schema object.");
                    return false;
                }

                if (options.NativeJsonSchema)
                {
                    format = new JsonFormat(JsonTool: false, Native: true, "", null, schema);
                    return true;
                }

                if (!schema.TryGetProperty("type", out var root) || root.ValueKind != JsonValueKind.String || root.GetString() != "object")
                {
                    problem = TranslationProblems.UnsupportedValue("response_format.json_schema.schema", options.Deployment, Api,
                        "the schema's root must be an object when JSON mode is a forced tool");
                    return false;
                }

                var toolName = js.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() is { Length: > 0 } s ? s : JsonToolName;
                var description = js.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                format = new JsonFormat(JsonTool: true, Native: false, toolName, description, schema);
                return true;
            default:
                problem = TranslationProblems.UnsupportedValue("response_format.type", options.Deployment, Api, $"'{type.GetString()}' cannot be translated");
                return false;
        }
    }
}
