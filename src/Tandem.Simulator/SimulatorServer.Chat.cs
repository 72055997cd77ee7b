using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Tandem.Simulator;

/// <summary>Chat completion responses, whole and streamed, in OpenAI's wire format.</summary>
public sealed partial class SimulatorServer
{
    private string NextId(string prefix) => prefix + "sim" + Interlocked.Increment(ref _sequence).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    private long Now() => Options.Time.GetUtcNow().ToUnixTimeSeconds();

    private async Task WriteChatAsync(HttpContext ctx, JsonElement root, string model, Reply reply, SimulatorOptions options)
    {
        var n = root.TryGetProperty("n", out var nEl) && nEl.ValueKind == JsonValueKind.Number ? Math.Clamp(nEl.GetInt32(), 1, 8) : 1;
        var promptTokens = PromptTokens(root);
        var id = NextId("chatcmpl-");
        await WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "chat.completion");
            w.WriteNumber("created", Now());
            w.WriteString("model", model);
            w.WriteStartArray("choices");
            for (var i = 0; i < n; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("index", i);
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                if (reply.ToolName is not null)
                {
                    w.WriteNull("content");
                    w.WriteStartArray("tool_calls");
                    w.WriteStartObject();
                    w.WriteString("id", "call_" + id);
                    w.WriteString("type", "function");
                    w.WriteStartObject("function");
                    w.WriteString("name", reply.ToolName);
                    w.WriteString("arguments", reply.ToolArguments);
                    w.WriteEndObject();
                    w.WriteEndObject();
                    w.WriteEndArray();
                }
                else
                {
                    w.WriteString("content", reply.Text);
                }

                w.WriteNull("refusal");
                w.WriteEndObject();
                w.WriteNull("logprobs");
                w.WriteString("finish_reason", reply.ToolName is null ? "stop" : "tool_calls");
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (options.ReportUsage)
            {
                WriteUsage(w, promptTokens, reply.CompletionTokens * n);
            }

            w.WriteString("system_fingerprint", options.SystemFingerprint);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static void WriteUsage(Utf8JsonWriter w, int prompt, int completion)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", prompt);
        w.WriteNumber("completion_tokens", completion);
        w.WriteNumber("total_tokens", prompt + completion);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", 0);
        w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details");
        w.WriteNumber("reasoning_tokens", 0);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private async Task StreamChatAsync(HttpContext ctx, JsonElement root, string model, Reply reply, SimulatorOptions options, Random random, FaultKind? fault)
    {
        var aborted = ctx.RequestAborted;
        var includeUsage = options.ReportUsage
            && root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
        var id = NextId("chatcmpl-");
        var created = Now();
        var promptTokens = PromptTokens(root);

        await DelayAsync(options.TimeToFirstToken, random, aborted).ConfigureAwait(false);
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var pipe = ctx.Response.BodyWriter;

        // Role chunk first, as OpenAI sends it.
        WriteChunk(pipe, id, created, model, options, includeUsage, w =>
        {
            w.WriteString("role", "assistant");
            w.WriteString("content", "");
            w.WriteNull("refusal");
        }, null);
        await pipe.FlushAsync(aborted).ConfigureAwait(false);

        var pieces = new List<string>();
        if (reply.ToolName is not null)
        {
            var args = reply.ToolArguments ?? "{}";
            for (var i = 0; i < args.Length; i += 8)
            {
                pieces.Add(args.Substring(i, Math.Min(8, args.Length - i)));
            }
        }
        else
        {
            var words = (reply.Text ?? "").Split(' ');
            var per = Math.Max(1, options.TokensPerChunk);
            for (var i = 0; i < words.Length; i += per)
            {
                var piece = string.Join(' ', words, i, Math.Min(per, words.Length - i));
                pieces.Add(i == 0 ? piece : " " + piece);
            }
        }

        var delay = options.TokensPerSecond > 0 ? TimeSpan.FromSeconds(Math.Max(1, options.TokensPerChunk) / options.TokensPerSecond) : TimeSpan.Zero;
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
            if (reply.ToolName is not null)
            {
                var first = i == 0;
                WriteChunk(pipe, id, created, model, options, includeUsage, w =>
                {
                    w.WriteStartArray("tool_calls");
                    w.WriteStartObject();
                    w.WriteNumber("index", 0);
                    if (first)
                    {
                        w.WriteString("id", "call_" + id);
                        w.WriteString("type", "function");
                    }

                    w.WriteStartObject("function");
                    if (first)
                    {
                        w.WriteString("name", reply.ToolName);
                    }

                    w.WriteString("arguments", piece);
                    w.WriteEndObject();
                    w.WriteEndObject();
                    w.WriteEndArray();
                }, null);
            }
            else
            {
                WriteChunk(pipe, id, created, model, options, includeUsage, w => w.WriteString("content", piece), null);
            }

            await pipe.FlushAsync(aborted).ConfigureAwait(false);
        }

        WriteChunk(pipe, id, created, model, options, includeUsage, static _ => { }, reply.ToolName is null ? "stop" : "tool_calls");
        if (includeUsage)
        {
            WriteEvent(pipe, w =>
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteString("object", "chat.completion.chunk");
                w.WriteNumber("created", created);
                w.WriteString("model", model);
                w.WriteString("system_fingerprint", options.SystemFingerprint);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                WriteUsage(w, promptTokens, reply.CompletionTokens);
                w.WriteEndObject();
            });
        }

        Write(pipe, "data: [DONE]\n\n"u8);
        await pipe.FlushAsync(aborted).ConfigureAwait(false);
    }

    private static void WriteChunk(System.IO.Pipelines.PipeWriter pipe, string id, long created, string model, SimulatorOptions options, bool includeUsage, Action<Utf8JsonWriter> delta, string? finishReason)
    {
        WriteEvent(pipe, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "chat.completion.chunk");
            w.WriteNumber("created", created);
            w.WriteString("model", model);
            w.WriteString("system_fingerprint", options.SystemFingerprint);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("delta");
            delta(w);
            w.WriteEndObject();
            w.WriteNull("logprobs");
            if (finishReason is null)
            {
                w.WriteNull("finish_reason");
            }
            else
            {
                w.WriteString("finish_reason", finishReason);
            }

            w.WriteEndObject();
            w.WriteEndArray();
            if (includeUsage)
            {
                w.WriteNull("usage");
            }

            w.WriteEndObject();
        });
    }

    private static void WriteEvent(System.IO.Pipelines.PipeWriter pipe, Action<Utf8JsonWriter> write)
    {
        Write(pipe, "data: "u8);
        using (var w = new Utf8JsonWriter(pipe))
        {
            write(w);
        }

        Write(pipe, "\n\n"u8);
    }

    private static void Write(System.IO.Pipelines.PipeWriter pipe, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(pipe.GetSpan(bytes.Length));
        pipe.Advance(bytes.Length);
    }
}
