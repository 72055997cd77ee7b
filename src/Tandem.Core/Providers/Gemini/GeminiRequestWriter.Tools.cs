using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Gemini;

/// <summary>Function declarations and the function calling mode of a Gemini request.</summary>
internal static partial class GeminiRequestWriter
{
    private static bool TryWriteTools(Utf8JsonWriter w, in Fields f, GeminiRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        if (f.Tools.ValueKind != JsonValueKind.Array || f.Tools.GetArrayLength() == 0)
        {
            return true;
        }

        w.WriteStartArray("tools");
        w.WriteStartObject();
        w.WriteStartArray("functionDeclarations");
        var i = 0;
        foreach (var tool in f.Tools.EnumerateArray())
        {
            if (!TryWriteFunction(w, tool, i++, options, out problem))
            {
                return false;
            }
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        return TryWriteToolConfig(w, f.ToolChoice, options, out problem);
    }

    private static bool TryWriteFunction(Utf8JsonWriter w, JsonElement tool, int i, GeminiRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            problem = TranslationProblems.Invalid($"tools[{i}]", "expected an object with a 'type'.");
            return false;
        }

        if (!type.ValueEquals("function"))
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

        if (function.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object
            && !TryWriteSchema(w, options.JsonSchemas ? "parametersJsonSchema" : "parameters", parameters, $"tools[{i}].function.parameters", options, out problem))
        {
            return false;
        }

        w.WriteEndObject();
        return true;
    }

    private static bool TryWriteToolConfig(Utf8JsonWriter w, JsonElement choice, GeminiRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        string mode;
        string? name = null;
        if (choice.ValueKind == JsonValueKind.Undefined)
        {
            return true; // Gemini's default is AUTO, as OpenAI's is.
        }

        if (choice.ValueKind == JsonValueKind.String)
        {
            switch (choice.GetString())
            {
                case "auto":
                    mode = "AUTO";
                    break;
                case "none":
                    mode = "NONE";
                    break;
                case "required":
                    mode = "ANY";
                    break;
                default:
                    problem = TranslationProblems.Invalid("tool_choice", "expected 'none', 'auto', 'required' or a function.");
                    return false;
            }
        }
        else if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.ValueEquals("function")
            && choice.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object
            && f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
        {
            mode = "ANY";
            name = n.GetString();
        }
        else
        {
            problem = TranslationProblems.UnsupportedValue("tool_choice", options.Deployment, Api, "only 'none', 'auto', 'required' and a named function can be translated");
            return false;
        }

        w.WriteStartObject("toolConfig");
        w.WriteStartObject("functionCallingConfig");
        w.WriteString("mode", mode);
        if (name is not null)
        {
            w.WriteStartArray("allowedFunctionNames");
            w.WriteStringValue(name);
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteEndObject();
        return true;
    }
}
