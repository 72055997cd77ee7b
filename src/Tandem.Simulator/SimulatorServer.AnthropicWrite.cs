using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tandem.Simulator;

/// <summary>Anthropic answers, whole and streamed, and Anthropic's error bodies.</summary>
public sealed partial class SimulatorServer
{
    private sealed record AnthropicAnswer(string Id, string Model, Reply Reply, int PromptTokens, int MaxTokens, IReadOnlyList<string> StopSequences);

    private async Task WriteAnthropicAsync(HttpContext ctx, AnthropicAnswer a, SimulatorOptions options)
    {
        var (text, tokens, sequence, truncated) = a.Reply.ToolName is null ? Limit(a.Reply.Text ?? "", a.MaxTokens, a.StopSequences) : ("", a.Reply.CompletionTokens, null, false);
        await WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", a.Id);
            w.WriteString("type", "message");
            w.WriteString("role", "assistant");
            w.WriteString("model", a.Model);
            w.WriteStartArray("content");
            w.WriteStartObject();
            if (a.Reply.ToolName is { } tool)
            {
                w.WriteString("type", "tool_use");
                w.WriteString("id", "toolu_" + a.Id);
                w.WriteString("name", tool);
                w.WritePropertyName("input");
                w.WriteRawValue(a.Reply.ToolArguments ?? "{}");
            }
            else
            {
                w.WriteString("type", "text");
                w.WriteString("text", text);
            }

            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("stop_reason", StopReason(a.Reply, sequence, truncated));
            WriteNullable(w, "stop_sequence", sequence);
            WriteAnthropicUsage(w, options.ReportUsage ? a.PromptTokens : 0, options.ReportUsage ? tokens : 0);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task StreamAnthropicAsync(HttpContext ctx, AnthropicAnswer a, SimulatorOptions options, Random random, FaultKind? fault)
    {
        var aborted = ctx.RequestAborted;
        await DelayAsync(options.TimeToFirstToken, random, aborted).ConfigureAwait(false);
        StartEventStream(ctx);
        var pipe = ctx.Response.BodyWriter;
        WriteSse(pipe, "message_start", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "message_start");
            w.WriteStartObject("message");
            w.WriteString("id", a.Id);
            w.WriteString("type", "message");
            w.WriteString("role", "assistant");
            w.WriteString("model", a.Model);
            w.WriteStartArray("content");
            w.WriteEndArray();
            w.WriteNull("stop_reason");
            w.WriteNull("stop_sequence");
            WriteAnthropicUsage(w, a.PromptTokens, 1);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        var tool = a.Reply.ToolName;
        var (text, tokens, sequence, truncated) = tool is null ? Limit(a.Reply.Text ?? "", a.MaxTokens, a.StopSequences) : ("", a.Reply.CompletionTokens, null, false);
        WriteSse(pipe, "content_block_start", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "content_block_start");
            w.WriteNumber("index", 0);
            w.WriteStartObject("content_block");
            if (tool is not null)
            {
                w.WriteString("type", "tool_use");
                w.WriteString("id", "toolu_" + a.Id);
                w.WriteString("name", tool);
                w.WriteStartObject("input");
                w.WriteEndObject();
            }
            else
            {
                w.WriteString("type", "text");
                w.WriteString("text", "");
            }

            w.WriteEndObject();
            w.WriteEndObject();
        });
        WriteSse(pipe, "ping", static w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "ping");
            w.WriteEndObject();
        });
        await pipe.FlushAsync(aborted).ConfigureAwait(false);

        var pieces = tool is null ? TextPieces(text, options) : ArgumentPieces(a.Reply.ToolArguments ?? "{}");
        var delay = PieceDelay(options);
        var abortAfter = fault == FaultKind.Abort ? Math.Max(1, pieces.Count / 2) : int.MaxValue;
        for (var i = 0; i < pieces.Count; i++)
        {
            if (i >= abortAfter)
            {
                await CutAsync(ctx).ConfigureAwait(false);
                return;
            }

            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, aborted).ConfigureAwait(false);
            }

            var piece = pieces[i];
            WriteSse(pipe, "content_block_delta", w =>
            {
                w.WriteStartObject();
                w.WriteString("type", "content_block_delta");
                w.WriteNumber("index", 0);
                w.WriteStartObject("delta");
                w.WriteString("type", tool is null ? "text_delta" : "input_json_delta");
                w.WriteString(tool is null ? "text" : "partial_json", piece);
                w.WriteEndObject();
                w.WriteEndObject();
            });
            await pipe.FlushAsync(aborted).ConfigureAwait(false);
        }

        WriteSse(pipe, "content_block_stop", static w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "content_block_stop");
            w.WriteNumber("index", 0);
            w.WriteEndObject();
        });
        WriteSse(pipe, "message_delta", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "message_delta");
            w.WriteStartObject("delta");
            w.WriteString("stop_reason", StopReason(a.Reply, sequence, truncated));
            WriteNullable(w, "stop_sequence", sequence);
            w.WriteEndObject();
            w.WriteStartObject("usage");
            w.WriteNumber("output_tokens", options.ReportUsage ? tokens : 0);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        WriteSse(pipe, "message_stop", static w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "message_stop");
            w.WriteEndObject();
        });
        await pipe.FlushAsync(aborted).ConfigureAwait(false);
    }

    private static string StopReason(Reply reply, string? sequence, bool truncated) =>
        reply.ToolName is not null ? "tool_use" : sequence is not null ? "stop_sequence" : truncated ? "max_tokens" : "end_turn";

    private static void WriteAnthropicUsage(Utf8JsonWriter w, int input, int output)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", input);
        w.WriteNumber("cache_creation_input_tokens", 0);
        w.WriteNumber("cache_read_input_tokens", 0);
        w.WriteNumber("output_tokens", output);
        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>The injected server faults as Anthropic sends them: 500 api_error, 529 overloaded_error (for 503), 429 rate_limit_error.</summary>
    private static Task AnthropicFaultAsync(HttpContext ctx, FaultKind fault, SimulatorOptions options)
    {
        switch (fault)
        {
            case FaultKind.Status429:
                var headers = ctx.Response.Headers;
                headers.RetryAfter = options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                headers["anthropic-ratelimit-requests-limit"] = "50";
                headers["anthropic-ratelimit-requests-remaining"] = "0";
                headers["anthropic-ratelimit-requests-reset"] = "1970-01-01T00:00:00Z";
                headers["x-should-retry"] = "true";
                return AnthropicErrorAsync(ctx, 429, "rate_limit_error", "This request would exceed your organization's rate limit. (simulated)");
            case FaultKind.Status503:
                return AnthropicErrorAsync(ctx, 529, "overloaded_error", "Overloaded (simulated)");
            default:
                return AnthropicErrorAsync(ctx, 500, "api_error", "Internal server error (simulated)");
        }
    }

    private static Task AnthropicErrorAsync(HttpContext ctx, int status, string type, string message) => WriteJsonAsync(ctx, status, w =>
    {
        w.WriteStartObject();
        w.WriteString("type", "error");
        w.WriteStartObject("error");
        w.WriteString("type", type);
        w.WriteString("message", message);
        w.WriteEndObject();
        w.WriteString("request_id", "req_sim");
        w.WriteEndObject();
    });
}
