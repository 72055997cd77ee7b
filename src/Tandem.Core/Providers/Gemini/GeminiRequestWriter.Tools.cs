using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Gemini;

/// <summary>Function declarations and the function calling mode of a Gemini request.</summary>
internal static partial class GeminiRequestWriter
{
    private static bool TryWriteTools(Utf8JsonWriter w, ChatRequest request, GeminiRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        if (request.Tools.Length == 0)
        {
            return true;
        }

        w.WriteStartArray("tools");
        w.WriteStartObject();
        w.WriteStartArray("functionDeclarations");
        foreach (var tool in request.Tools)
        {
            w.WriteStartObject();
            w.WritePropertyName("name");
            tool.Name.WriteTo(w);
            if (tool.Description.ValueKind == JsonValueKind.String)
            {
                w.WritePropertyName("description");
                tool.Description.WriteTo(w);
            }

            if (tool.Parameters.ValueKind == JsonValueKind.Object
                && !TryWriteSchema(w, options.JsonSchemas ? "parametersJsonSchema" : "parameters", tool.Parameters, $"tools[{tool.Index}].function.parameters", options, out problem))
            {
                return false;
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        WriteToolConfig(w, request.ToolChoice);
        return true;
    }

    private static void WriteToolConfig(Utf8JsonWriter w, ToolChoice choice)
    {
        var mode = choice.Kind switch
        {
            ToolChoiceKind.Unset => null, // Gemini's default is AUTO, as OpenAI's is.
            ToolChoiceKind.None => "NONE",
            ToolChoiceKind.Auto => "AUTO",
            _ => "ANY",
        };
        if (mode is null)
        {
            return;
        }

        w.WriteStartObject("toolConfig");
        w.WriteStartObject("functionCallingConfig");
        w.WriteString("mode", mode);
        if (choice.Name is { } name)
        {
            w.WriteStartArray("allowedFunctionNames");
            w.WriteStringValue(name);
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }
}
