using System.Text.Json;
using Tandem.Wire;

namespace Tandem.Providers.Translation;

/// <summary>Tools, tool choice and response format.</summary>
internal static partial class ChatRequestReader
{
    private static bool TryReadTools(JsonElement array, in Context c, out ChatTool[] tools, out RequestProblem problem)
    {
        tools = [];
        problem = default;
        if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
        {
            return true;
        }

        if (!c.Capabilities.Tools)
        {
            problem = c.Unsupported("tools");
            return false;
        }

        var read = new ChatTool[array.GetArrayLength()];
        var i = 0;
        foreach (var tool in array.EnumerateArray())
        {
            if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                problem = TranslationProblems.Invalid($"tools[{i}]", "expected an object with a 'type'.");
                return false;
            }

            if (!type.ValueEquals("function"u8))
            {
                problem = c.UnsupportedValue($"tools[{i}].type", $"only function tools can be translated, not '{type.GetString()}'");
                return false;
            }

            if (!tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                problem = TranslationProblems.Invalid($"tools[{i}].function.name", "every function needs a name.");
                return false;
            }

            var parameters = function.TryGetProperty("parameters", out var p) && p.ValueKind != JsonValueKind.Null ? p : default;
            if (parameters.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Object))
            {
                problem = TranslationProblems.Invalid($"tools[{i}].function.parameters", "expected a JSON Schema object.");
                return false;
            }

            read[i] = new ChatTool
            {
                Index = i,
                Name = name,
                Description = function.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d : default,
                Parameters = parameters,
                Strict = function.TryGetProperty("strict", out var strict) && strict.ValueKind == JsonValueKind.True,
                CacheControl = tool.TryGetProperty("cache_control", out var cache) && cache.ValueKind == JsonValueKind.Object ? cache : default,
            };
            i++;
        }

        tools = read;
        return true;
    }

    /// <summary><c>tool_choice</c>: a keyword or a named function; one that asks for a call needs tools to call.</summary>
    private static bool TryReadToolChoice(JsonElement choice, bool hasTools, in Context c, out ToolChoice read, out RequestProblem problem)
    {
        read = default;
        problem = default;
        if (choice.ValueKind == JsonValueKind.Undefined)
        {
            return true;
        }

        if (choice.ValueKind == JsonValueKind.String)
        {
            var kind = choice.ValueEquals("auto"u8) ? ToolChoiceKind.Auto
                : choice.ValueEquals("none"u8) ? ToolChoiceKind.None
                : choice.ValueEquals("required"u8) ? ToolChoiceKind.Required
                : ToolChoiceKind.Unset;
            if (kind == ToolChoiceKind.Unset)
            {
                problem = TranslationProblems.Invalid("tool_choice", "expected 'none', 'auto', 'required' or a function.");
                return false;
            }

            read = new ToolChoice(kind, null);
        }
        else if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("function"u8)
            && choice.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
            && function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
        {
            read = new ToolChoice(ToolChoiceKind.Function, name.GetString());
        }
        else
        {
            problem = c.UnsupportedValue("tool_choice", "only 'none', 'auto', 'required' and a named function can be translated");
            return false;
        }

        if (read.Kind is ToolChoiceKind.Required or ToolChoiceKind.Function && !hasTools)
        {
            // As OpenAI answers: a call cannot be required of a model that was given nothing to call.
            problem = TranslationProblems.Invalid("tool_choice", "a tool call can only be asked for when 'tools' are given.");
            return false;
        }

        return true;
    }

    private static bool TryReadResponseFormat(JsonElement format, in Context c, out ResponseFormat read, out RequestProblem problem)
    {
        read = default;
        problem = default;
        if (format.ValueKind == JsonValueKind.Undefined)
        {
            return true;
        }

        if (format.ValueKind != JsonValueKind.Object || !format.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            problem = TranslationProblems.Invalid("response_format", "expected an object with a 'type'.");
            return false;
        }

        if (type.ValueEquals("text"u8))
        {
            return true;
        }

        if (type.ValueEquals("json_object"u8) && c.Capabilities.JsonObject)
        {
            read = new ResponseFormat(ResponseFormatKind.JsonObject, default, default, default);
            return true;
        }

        if (type.ValueEquals("json_schema"u8))
        {
            if (!format.TryGetProperty("json_schema", out var js) || js.ValueKind != JsonValueKind.Object
                || !js.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
            {
                problem = TranslationProblems.Invalid("response_format.json_schema.schema", "a json_schema response format needs a schema object.");
                return false;
            }

            if (c.Capabilities.JsonSchema)
            {
                read = new ResponseFormat(ResponseFormatKind.JsonSchema, schema,
                    js.TryGetProperty("name", out var name) ? name : default,
                    js.TryGetProperty("description", out var description) ? description : default);
                return true;
            }
        }

        var hint = type.ValueEquals("json_object"u8) && c.Capabilities.JsonSchema ? ": send a json_schema response format" : "";
        problem = c.UnsupportedValue("response_format.type", $"'{type.GetString()}' cannot be translated{hint}");
        return false;
    }
}
