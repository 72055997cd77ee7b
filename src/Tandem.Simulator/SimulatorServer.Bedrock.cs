using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tandem.Simulator;

/// <summary>
/// Bedrock runtime <c>Converse</c> and <c>ConverseStream</c>: the conversation is read as the simulator reads an
/// OpenAI one (system blocks, text, <c>toolResult</c> turns, <c>toolConfig</c> functions), so keyed answers and tool
/// calls work alike; streams are event streams of <c>messageStart</c>, <c>contentBlockStart/Delta/Stop</c>,
/// <c>messageStop</c> and <c>metadata</c>, each message written in two halves so that a reader must reassemble it.
/// </summary>
/// <remarks>
/// Faults map to Bedrock's errors: 500 → <c>InternalServerException</c>, 503 → <c>ServiceUnavailableException</c>,
/// 429 → <c>ThrottlingException</c> with <c>Retry-After</c>. Usage counts as the OpenAI simulator does:
/// ceil((sum over messages of (characters + 16)) / 4) input tokens, one output token per word.
/// </remarks>
public sealed partial class SimulatorServer
{
    private async Task HandleBedrockAsync(HttpContext ctx, JsonElement root, string model, bool stream, SimulatorOptions options)
    {
        if (options.Models.Count > 0 && !options.Models.Contains(model))
        {
            await WriteAwsErrorAsync(ctx, 400, "ValidationException", "The provided model identifier is invalid.").ConfigureAwait(false);
            return;
        }

        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            Stats.OnRejected();
            await WriteAwsErrorAsync(ctx, 400, "ValidationException", "1 validation error detected: Value at 'messages' failed to satisfy constraint: Member must not be null").ConfigureAwait(false);
            return;
        }

        var random = NextRandom();
        var (fault, done) = await AwsFaultAsync(ctx, options, random, static f => f switch
        {
            FaultKind.Status500 => (500, "InternalServerException", "The server encountered an internal error. (simulated)", null),
            FaultKind.Status503 => (503, "ServiceUnavailableException", "The service is currently unavailable. (simulated)", null),
            _ => (429, "ThrottlingException", "Too many requests, please wait before trying again. (simulated)", null),
        }).ConfigureAwait(false);
        if (done)
        {
            return;
        }

        using var chat = JsonDocument.Parse(OpenAiFormOf(root));
        var reply = Answer(chat.RootElement, options);
        var inputTokens = PromptTokens(chat.RootElement);
        var maxTokens = root.TryGetProperty("inferenceConfig", out var ic) && ic.ValueKind == JsonValueKind.Object
            && ic.TryGetProperty("maxTokens", out var mt) && mt.ValueKind == JsonValueKind.Number && mt.TryGetInt32(out var m) ? m : int.MaxValue;
        var words = (reply.Text ?? "").Split(' ');
        var stop = reply.ToolName is not null ? "tool_use" : words.Length > maxTokens ? "max_tokens" : "end_turn";
        words = words.Take(maxTokens).ToArray();
        var outputTokens = reply.ToolName is not null ? reply.CompletionTokens : words.Length;
        var toolUseId = "tooluse_" + NextId("");
        if (!stream)
        {
            await DelayAsync(options.Latency, random, ctx.RequestAborted).ConfigureAwait(false);
            ctx.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
            await WriteJsonAsync(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteStartObject("output");
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                w.WriteStartArray("content");
                w.WriteStartObject();
                if (reply.ToolName is not null)
                {
                    w.WriteStartObject("toolUse");
                    w.WriteString("toolUseId", toolUseId);
                    w.WriteString("name", reply.ToolName);
                    w.WritePropertyName("input");
                    w.WriteRawValue(reply.ToolArguments ?? "{}");
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteString("text", string.Join(' ', words));
                }

                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteString("stopReason", stop);
                WriteBedrockUsage(w, inputTokens, outputTokens);
                w.WriteEndObject();
            }).ConfigureAwait(false);
            return;
        }

        await DelayAsync(options.TimeToFirstToken, random, ctx.RequestAborted).ConfigureAwait(false);
        StartEventStream(ctx);
        await WriteBedrockEventAsync(ctx, "messageStart", w => w.WriteString("role", "assistant")).ConfigureAwait(false);
        var pieces = new List<string>();
        if (reply.ToolName is not null)
        {
            var args = reply.ToolArguments ?? "{}";
            for (var i = 0; i < args.Length; i += 8)
            {
                pieces.Add(args.Substring(i, Math.Min(8, args.Length - i)));
            }

            await WriteBedrockEventAsync(ctx, "contentBlockStart", w =>
            {
                w.WriteNumber("contentBlockIndex", 0);
                w.WriteStartObject("start");
                w.WriteStartObject("toolUse");
                w.WriteString("toolUseId", toolUseId);
                w.WriteString("name", reply.ToolName);
                w.WriteEndObject();
                w.WriteEndObject();
            }).ConfigureAwait(false);
        }
        else
        {
            pieces.AddRange(words.Select((word, i) => i == 0 ? word : " " + word));
        }

        var abortAfter = fault == FaultKind.Abort ? Math.Max(1, pieces.Count / 2) : int.MaxValue;
        var delay = options.TokensPerSecond > 0 ? TimeSpan.FromSeconds(1 / options.TokensPerSecond) : TimeSpan.Zero;
        for (var i = 0; i < pieces.Count; i++)
        {
            if (i >= abortAfter)
            {
                await CutAsync(ctx).ConfigureAwait(false);
                return;
            }

            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, ctx.RequestAborted).ConfigureAwait(false);
            }

            var piece = pieces[i];
            await WriteBedrockEventAsync(ctx, "contentBlockDelta", w =>
            {
                w.WriteNumber("contentBlockIndex", 0);
                w.WriteStartObject("delta");
                if (reply.ToolName is not null)
                {
                    w.WriteStartObject("toolUse");
                    w.WriteString("input", piece);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteString("text", piece);
                }

                w.WriteEndObject();
            }).ConfigureAwait(false);
        }

        await WriteBedrockEventAsync(ctx, "contentBlockStop", w => w.WriteNumber("contentBlockIndex", 0)).ConfigureAwait(false);
        await WriteBedrockEventAsync(ctx, "messageStop", w => w.WriteString("stopReason", stop)).ConfigureAwait(false);
        await WriteBedrockEventAsync(ctx, "metadata", w => WriteBedrockUsage(w, inputTokens, outputTokens)).ConfigureAwait(false);
    }

    /// <summary>The conversation in OpenAI's form, so that <see cref="Answer"/> and <see cref="PromptTokens"/> read it.</summary>
    private static byte[] OpenAiFormOf(JsonElement converse) => JsonOf(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("messages");
        if (converse.TryGetProperty("system", out var system) && system.ValueKind == JsonValueKind.Array && system.GetArrayLength() > 0)
        {
            w.WriteStartObject();
            w.WriteString("role", "system");
            w.WriteString("content", string.Concat(system.EnumerateArray().Select(TextOfBlock)));
            w.WriteEndObject();
        }

        foreach (var message in converse.GetProperty("messages").EnumerateArray())
        {
            var blocks = message.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.Array ? c.EnumerateArray().ToList() : [];
            var toolResults = blocks.Where(b => b.TryGetProperty("toolResult", out _)).ToList();
            w.WriteStartObject();
            if (toolResults.Count > 0)
            {
                w.WriteString("role", "tool");
                w.WriteString("content", string.Concat(toolResults.SelectMany(b => b.GetProperty("toolResult").TryGetProperty("content", out var rc) && rc.ValueKind == JsonValueKind.Array
                    ? rc.EnumerateArray().Select(r => r.TryGetProperty("json", out var j) ? j.GetRawText() : TextOfBlock(r))
                    : [])));
            }
            else
            {
                w.WriteString("role", message.TryGetProperty("role", out var role) ? role.GetString() : "user");
                w.WriteString("content", string.Concat(blocks.Select(TextOfBlock)));
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (converse.TryGetProperty("toolConfig", out var toolConfig) && toolConfig.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            w.WriteStartArray("tools");
            foreach (var tool in tools.EnumerateArray())
            {
                if (!tool.TryGetProperty("toolSpec", out var spec))
                {
                    continue;
                }

                w.WriteStartObject();
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", spec.TryGetProperty("name", out var n) ? n.GetString() : "tool");
                if (spec.TryGetProperty("inputSchema", out var schema) && schema.TryGetProperty("json", out var json))
                {
                    w.WritePropertyName("parameters");
                    json.WriteTo(w);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    });

    private static string TextOfBlock(JsonElement block) =>
        block.ValueKind == JsonValueKind.Object && block.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";

    private static void WriteBedrockUsage(Utf8JsonWriter w, int input, int output)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("inputTokens", input);
        w.WriteNumber("outputTokens", output);
        w.WriteNumber("totalTokens", input + output);
        w.WriteEndObject();
        w.WriteStartObject("metrics");
        w.WriteNumber("latencyMs", 1);
        w.WriteEndObject();
    }

    /// <summary>One event, its payload padded with <c>"p"</c> as Bedrock pads them, written in two halves.</summary>
    private static async Task WriteBedrockEventAsync(HttpContext ctx, string type, Action<Utf8JsonWriter> fields)
    {
        var payload = JsonOf(w =>
        {
            w.WriteStartObject();
            fields(w);
            w.WriteString("p", "abcdefghijklmnopqrstuvwxyz"[..(type.Length % 26)]);
            w.WriteEndObject();
        });
        var message = AwsEventStreamWriter.Event(type, "application/json", payload);
        var half = message.Length / 2;
        await WriteFlushedAsync(ctx, message[..half]).ConfigureAwait(false);
        await WriteFlushedAsync(ctx, message[half..]).ConfigureAwait(false);
    }
}
