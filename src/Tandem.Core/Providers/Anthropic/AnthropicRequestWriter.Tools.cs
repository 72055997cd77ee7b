using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Anthropic;

/// <summary>Tools, tool choice and JSON mode of an Anthropic request.</summary>
internal static partial class AnthropicRequestWriter
{
    /// <summary>
    /// How JSON mode is sent, decided (and refused) before anything is written: a forced tool whose input is the answer
    /// (<c>json_object</c>, or <c>json_schema</c> unless the deployment sends it natively), or structured output.
    /// </summary>
    private static bool TryReadJsonFormat(ChatRequest request, AnthropicRequestOptions options, out JsonFormat format, out RequestProblem problem)
    {
        format = default;
        problem = default;
        var rf = request.ResponseFormat;
        switch (rf.Kind)
        {
            case ResponseFormatKind.JsonObject:
                format = new JsonFormat(JsonTool: true, Native: false, JsonToolName, null, default);
                break;
            case ResponseFormatKind.JsonSchema when options.NativeJsonSchema:
                format = new JsonFormat(JsonTool: false, Native: true, "", null, rf.Schema);
                return true;
            case ResponseFormatKind.JsonSchema:
                if (!rf.Schema.TryGetProperty("type", out var root) || root.ValueKind != JsonValueKind.String || !root.ValueEquals("object"u8))
                {
                    problem = TranslationProblems.UnsupportedValue("response_format.json_schema.schema", options.Deployment, Api,
                        "the schema's root must be an object when JSON mode is a forced tool");
                    return false;
                }

                format = new JsonFormat(JsonTool: true, Native: false, rf.Name is { Length: > 0 } name ? name : JsonToolName, rf.Description, rf.Schema);
                break;
            default:
                return true;
        }

        if (request.Tools.Length > 0)
        {
            problem = TranslationProblems.UnsupportedValue("response_format", options.Deployment, Api,
                "JSON mode is a forced tool on this deployment and cannot be combined with 'tools'");
            return false;
        }

        return true;
    }

    /// <summary>Writes tools, tool choice and JSON mode (a forced tool, or structured output).</summary>
    private static void WriteTools(Utf8JsonWriter w, ChatRequest request, in JsonFormat format)
    {
        if (request.Tools.Length > 0)
        {
            w.WriteStartArray("tools");
            foreach (var tool in request.Tools)
            {
                WriteTool(w, tool);
            }

            w.WriteEndArray();
            WriteToolChoice(w, request.ToolChoice, request.ParallelToolCalls);
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
    }

    private static void WriteTool(Utf8JsonWriter w, in ChatTool tool)
    {
        w.WriteStartObject();
        w.WritePropertyName("name");
        tool.Name.WriteTo(w);
        if (tool.Description.ValueKind == JsonValueKind.String)
        {
            w.WritePropertyName("description");
            tool.Description.WriteTo(w);
        }

        w.WritePropertyName("input_schema");
        if (tool.Parameters.ValueKind == JsonValueKind.Object)
        {
            tool.Parameters.WriteTo(w);
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

        if (tool.Strict)
        {
            w.WriteBoolean("strict", true);
        }

        WriteCacheControl(w, tool.CacheControl);
        w.WriteEndObject();
    }

    private static void WriteToolChoice(Utf8JsonWriter w, ToolChoice choice, bool parallel)
    {
        if (choice.Kind == ToolChoiceKind.Unset && parallel)
        {
            return; // Anthropic's default is auto, as OpenAI's is.
        }

        var type = choice.Kind switch
        {
            ToolChoiceKind.None => "none",
            ToolChoiceKind.Required => "any",
            ToolChoiceKind.Function => "tool",
            _ => "auto",
        };
        w.WriteStartObject("tool_choice");
        w.WriteString("type", type);
        if (choice.Name is { } name)
        {
            w.WriteString("name", name);
        }

        if (!parallel && choice.Kind != ToolChoiceKind.None)
        {
            w.WriteBoolean("disable_parallel_tool_use", true);
        }

        w.WriteEndObject();
    }

    private readonly record struct JsonFormat(bool JsonTool, bool Native, string ToolName, string? Description, JsonElement Schema);
}
