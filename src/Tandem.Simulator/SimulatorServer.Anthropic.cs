using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tandem.Simulator;

/// <summary>
/// Anthropic's Messages API (<c>POST /v1/messages</c>): validated as strictly as Anthropic validates (unknown fields,
/// roles, block types, tool results without their tool use are 400s), answered whole or as Anthropic's event stream,
/// with Anthropic's errors (529 overloaded for the 503 fault, 429 with <c>retry-after</c> and
/// <c>anthropic-ratelimit-*</c> headers).
/// </summary>
public sealed partial class SimulatorServer
{
    private static readonly HashSet<string> AnthropicFields = new(StringComparer.Ordinal)
    {
        "model", "max_tokens", "messages", "system", "stop_sequences", "stream", "temperature", "top_p", "top_k",
        "tools", "tool_choice", "metadata", "output_config", "thinking", "service_tier",
    };

    private void MapAnthropic(WebApplication app) => app.MapPost("/v1/messages", ctx => HandleProtocolAsync(ctx, AnthropicAsync));

    private async Task AnthropicAsync(HttpContext ctx, byte[] body)
    {
        var options = Options;
        if (options.RequiredApiKey is { } required && ctx.Request.Headers["x-api-key"].ToString() != required)
        {
            await AnthropicErrorAsync(ctx, 401, "authentication_error", "invalid x-api-key").ConfigureAwait(false);
            return;
        }

        if (string.IsNullOrEmpty(ctx.Request.Headers["anthropic-version"].ToString()))
        {
            await AnthropicErrorAsync(ctx, 400, "invalid_request_error", "anthropic-version: header is required").ConfigureAwait(false);
            return;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            await AnthropicErrorAsync(ctx, 400, "invalid_request_error", "The request body is not valid JSON.").ConfigureAwait(false);
            return;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (CheckAnthropic(root) is { } bad)
            {
                Stats.OnRejected();
                await AnthropicErrorAsync(ctx, 400, "invalid_request_error", bad).ConfigureAwait(false);
                return;
            }

            var model = root.GetProperty("model").GetString()!;
            if (options.Models.Count > 0 && !options.Models.Contains(model))
            {
                await AnthropicErrorAsync(ctx, 404, "not_found_error", "model: " + model).ConfigureAwait(false);
                return;
            }

            var random = NextRandom();
            var fault = PickFault(options, random);
            if (fault is not null)
            {
                Stats.OnFault();
                if (await ApplyProtocolFaultAsync(ctx, fault.Value, options, Stats, (c, f) => AnthropicFaultAsync(c, f, options)).ConfigureAwait(false))
                {
                    return;
                }
            }

            using var view = AnthropicView(root).ToDocument();
            var reply = Answer(view.RootElement, options);
            var prompt = PromptTokens(view.RootElement);
            if (reply.ToolName is null && root.TryGetProperty("output_config", out var oc) && oc.TryGetProperty("format", out var format)
                && format.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.Object)
            {
                var json = JsonFor(schema);
                reply = new Reply(json, null, null, Math.Max(1, json.Length / 4));
            }

            var answer = new AnthropicAnswer(NextId("msg_"), options.ReportedModel ?? model, reply, prompt,
                root.GetProperty("max_tokens").GetInt32(),
                root.TryGetProperty("stop_sequences", out var stops) && stops.ValueKind == JsonValueKind.Array ? [.. stops.EnumerateArray().Select(s => s.GetString() ?? "")] : []);
            if (root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True)
            {
                await StreamAnthropicAsync(ctx, answer, options, random, fault).ConfigureAwait(false);
                return;
            }

            await DelayAsync(options.Latency, random, ctx.RequestAborted).ConfigureAwait(false);
            if (fault == FaultKind.Abort)
            {
                await AbortMidBodyAsync(ctx).ConfigureAwait(false);
                return;
            }

            await WriteAnthropicAsync(ctx, answer, options).ConfigureAwait(false);
        }
    }

    /// <summary>The conversation of an Anthropic request in OpenAI's shape: tool results become tool messages.</summary>
    private static ChatView AnthropicView(JsonElement root)
    {
        var view = new ChatView();
        if (root.TryGetProperty("system", out var system))
        {
            view.Add("system", AnthropicText(system));
        }

        foreach (var message in root.GetProperty("messages").EnumerateArray())
        {
            var role = message.GetProperty("role").GetString()!;
            var content = message.GetProperty("content");
            if (content.ValueKind == JsonValueKind.Array)
            {
                foreach (var block in content.EnumerateArray())
                {
                    if (block.GetProperty("type").GetString() == "tool_result")
                    {
                        view.Add("tool", block.TryGetProperty("content", out var c) ? AnthropicText(c) : "");
                    }
                }
            }

            var text = AnthropicText(content);
            if (text.Length > 0 || content.ValueKind == JsonValueKind.String)
            {
                view.Add(role, text);
            }
        }

        var noTools = root.TryGetProperty("tool_choice", out var choice) && choice.TryGetProperty("type", out var type) && type.GetString() == "none";
        if (root.TryGetProperty("tools", out var tools) && !noTools)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                view.Tool(tool.GetProperty("name").GetString()!, tool.GetProperty("input_schema"));
            }

            if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("name", out var forced))
            {
                view.Force(forced.GetString()!);
            }
        }

        return view;
    }

    /// <summary>The text of a string or of the text blocks in an array of blocks.</summary>
    private static string AnthropicText(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        var sb = new StringBuilder();
        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                if (block.TryGetProperty("type", out var t) && t.GetString() == "text")
                {
                    sb.Append(block.GetProperty("text").GetString());
                }
            }
        }

        return sb.ToString();
    }

    /// <summary>What Anthropic would refuse with a 400, in the words of its own messages; null for a valid request.</summary>
    private static string? CheckAnthropic(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "The request body must be a JSON object.";
        }

        foreach (var p in root.EnumerateObject())
        {
            if (!AnthropicFields.Contains(p.Name))
            {
                return $"{p.Name}: Extra inputs are not permitted";
            }
        }

        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String)
        {
            return "model: Field required";
        }

        if (!root.TryGetProperty("max_tokens", out var max) || max.ValueKind != JsonValueKind.Number || !max.TryGetInt32(out var m) || m < 1)
        {
            return "max_tokens: Field required";
        }

        if (root.TryGetProperty("temperature", out var temperature) && (temperature.ValueKind != JsonValueKind.Number || temperature.GetDouble() is < 0 or > 1))
        {
            return "temperature: Input should be less than or equal to 1";
        }

        if (root.TryGetProperty("system", out var system) && CheckBlocks(system, "system", textOnly: true) is { } badSystem)
        {
            return badSystem;
        }

        var toolNames = new HashSet<string>(StringComparer.Ordinal);
        if (root.TryGetProperty("tools", out var tools))
        {
            var i = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                if (!tool.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                    || !tool.TryGetProperty("input_schema", out var schema) || schema.ValueKind != JsonValueKind.Object
                    || !schema.TryGetProperty("type", out var st) || st.GetString() != "object")
                {
                    return $"tools.{i}.input_schema: Field required (an object schema)";
                }

                toolNames.Add(name.GetString()!);
                i++;
            }
        }

        if (root.TryGetProperty("tool_choice", out var choice))
        {
            var type = choice.TryGetProperty("type", out var t) ? t.GetString() : null;
            if (type is not ("auto" or "any" or "tool" or "none"))
            {
                return "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'";
            }

            if (type == "tool" && (!choice.TryGetProperty("name", out var n) || !toolNames.Contains(n.GetString() ?? "")))
            {
                return "tool_choice.name: Tool not found in tools";
            }
        }

        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            return "messages: at least one message is required";
        }

        return CheckTurns(messages);
    }

    private static string? CheckTurns(JsonElement messages)
    {
        HashSet<string> pendingToolUses = [];
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var role = message.TryGetProperty("role", out var r) ? r.GetString() : null;
            if (role is not ("user" or "assistant"))
            {
                return $"messages.{index}.role: Input should be 'user' or 'assistant'";
            }

            if (!message.TryGetProperty("content", out var content))
            {
                return $"messages.{index}.content: Field required";
            }

            if (CheckBlocks(content, $"messages.{index}.content", textOnly: false) is { } bad)
            {
                return bad;
            }

            var results = new HashSet<string>(StringComparer.Ordinal);
            var uses = new HashSet<string>(StringComparer.Ordinal);
            if (content.ValueKind == JsonValueKind.Array)
            {
                var j = 0;
                foreach (var block in content.EnumerateArray())
                {
                    var type = block.GetProperty("type").GetString();
                    if (type == "tool_result")
                    {
                        var id = block.GetProperty("tool_use_id").GetString()!;
                        if (role != "user" || !pendingToolUses.Contains(id))
                        {
                            return $"messages.{index}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.";
                        }

                        results.Add(id);
                    }
                    else if (type == "tool_use")
                    {
                        uses.Add(block.GetProperty("id").GetString()!);
                    }

                    j++;
                }
            }

            if (pendingToolUses.Count > 0 && !pendingToolUses.SetEquals(results))
            {
                return $"messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately after: {string.Join(", ", pendingToolUses.Except(results))}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.";
            }

            pendingToolUses = uses;
            index++;
        }

        return null;
    }

    private static string? CheckBlocks(JsonElement content, string path, bool textOnly)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return null;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return $"{path}: Input should be a valid string or list of content blocks";
        }

        var i = 0;
        foreach (var block in content.EnumerateArray())
        {
            var type = block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type", out var t) ? t.GetString() : null;
            var ok = type switch
            {
                "text" => block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String && text.GetString()!.Length > 0,
                "image" or "document" when !textOnly => block.TryGetProperty("source", out var source) && source.TryGetProperty("type", out var st)
                    && (st.GetString() == "base64" ? source.TryGetProperty("media_type", out _) && source.TryGetProperty("data", out _) : st.GetString() == "url" && source.TryGetProperty("url", out _)),
                "tool_use" when !textOnly => block.TryGetProperty("id", out _) && block.TryGetProperty("name", out _) && block.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Object,
                "tool_result" when !textOnly => block.TryGetProperty("tool_use_id", out var id) && id.ValueKind == JsonValueKind.String,
                _ => false,
            };
            if (!ok)
            {
                return type == "text" ? $"{path}.{i}.text: text content blocks must be non-empty" : $"{path}.{i}: invalid content block of type '{type}'";
            }

            i++;
        }

        return null;
    }
}
