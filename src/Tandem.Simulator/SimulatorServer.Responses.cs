using System.Buffers;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tandem.Simulator;

/// <summary>Legacy completions, embeddings, model listing and error bodies.</summary>
public sealed partial class SimulatorServer
{
    private async Task WriteCompletionAsync(HttpContext ctx, JsonElement root, string model, SimulatorOptions options, Random random, bool stream, FaultKind? fault)
    {
        var prompt = root.TryGetProperty("prompt", out var p) ? p.ToString() : "";
        var text = " " + string.Join(' ', Enumerable.Range(0, options.OutputTokens).Select(i => Words[(prompt.Length + i) % Words.Length]));
        var id = NextId("cmpl-");
        if (stream)
        {
            await DelayAsync(options.TimeToFirstToken, random, ctx.RequestAborted).ConfigureAwait(false);
            ctx.Response.ContentType = "text/event-stream; charset=utf-8";
            var pipe = ctx.Response.BodyWriter;
            var pieces = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < pieces.Length; i++)
            {
                if (fault == FaultKind.Abort && i == pieces.Length / 2)
                {
                    await CutAsync(ctx).ConfigureAwait(false);
                    return;
                }

                var piece = " " + pieces[i];
                var last = i == pieces.Length - 1;
                WriteEvent(pipe, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("id", id);
                    w.WriteString("object", "text_completion");
                    w.WriteNumber("created", Now());
                    w.WriteString("model", model);
                    w.WriteStartArray("choices");
                    w.WriteStartObject();
                    w.WriteString("text", piece);
                    w.WriteNumber("index", 0);
                    w.WriteNull("logprobs");
                    if (last)
                    {
                        w.WriteString("finish_reason", "length");
                    }
                    else
                    {
                        w.WriteNull("finish_reason");
                    }

                    w.WriteEndObject();
                    w.WriteEndArray();
                    w.WriteEndObject();
                });
                await pipe.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
            }

            Write(pipe, "data: [DONE]\n\n"u8);
            await pipe.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
            return;
        }

        await DelayAsync(options.Latency, random, ctx.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "text_completion");
            w.WriteNumber("created", Now());
            w.WriteString("model", model);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteString("text", text);
            w.WriteNumber("index", 0);
            w.WriteNull("logprobs");
            w.WriteString("finish_reason", "length");
            w.WriteEndObject();
            w.WriteEndArray();
            if (options.ReportUsage)
            {
                w.WriteStartObject("usage");
                var pt = Math.Max(1, prompt.Length / 4);
                w.WriteNumber("prompt_tokens", pt);
                w.WriteNumber("completion_tokens", options.OutputTokens);
                w.WriteNumber("total_tokens", pt + options.OutputTokens);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static async Task WriteEmbeddingsAsync(HttpContext ctx, JsonElement root, string model, SimulatorOptions options)
    {
        var inputs = new List<string>();
        if (root.TryGetProperty("input", out var input))
        {
            if (input.ValueKind == JsonValueKind.Array)
            {
                inputs.AddRange(input.EnumerateArray().Select(e => e.ToString()));
            }
            else
            {
                inputs.Add(input.ToString());
            }
        }

        var dims = root.TryGetProperty("dimensions", out var d) && d.ValueKind == JsonValueKind.Number ? Math.Clamp(d.GetInt32(), 1, 4096) : 16;
        var base64 = root.TryGetProperty("encoding_format", out var ef) && ef.GetString() == "base64";
        await WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            var tokens = 0;
            for (var i = 0; i < inputs.Count; i++)
            {
                tokens += Math.Max(1, inputs[i].Length / 4);
                var rnd = new Random((int)XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(inputs[i])));
                var vector = new float[dims];
                double norm = 0;
                for (var j = 0; j < dims; j++)
                {
                    vector[j] = (float)((rnd.NextDouble() * 2) - 1);
                    norm += vector[j] * vector[j];
                }

                norm = Math.Sqrt(norm);
                w.WriteStartObject();
                w.WriteString("object", "embedding");
                w.WriteNumber("index", i);
                if (base64)
                {
                    var bytes = new byte[dims * 4];
                    for (var j = 0; j < dims; j++)
                    {
                        BitConverter.TryWriteBytes(bytes.AsSpan(j * 4), (float)(vector[j] / norm));
                    }

                    w.WriteBase64String("embedding", bytes);
                }
                else
                {
                    w.WriteStartArray("embedding");
                    foreach (var v in vector)
                    {
                        w.WriteNumberValue(v / norm);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("model", model);
            if (options.ReportUsage)
            {
                w.WriteStartObject("usage");
                w.WriteNumber("prompt_tokens", tokens);
                w.WriteNumber("total_tokens", tokens);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private Task WriteModelsAsync(HttpContext ctx)
    {
        var models = Options.Models.Count > 0 ? Options.Models : ["sim-model"];
        return WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var m in models)
            {
                w.WriteStartObject();
                w.WriteString("id", m);
                w.WriteString("object", "model");
                w.WriteNumber("created", 1_700_000_000);
                w.WriteString("owned_by", "tandem-simulator");
                if (Options.ShutdownDates.TryGetValue(m, out var shutdown))
                {
                    // As OpenAI's listing carries it: unix seconds of the UTC day.
                    w.WriteNumber("shutdown_date", new DateTimeOffset(shutdown.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeSeconds());
                }

                w.WriteEndObject();
            }

            // Loaded LoRA adapters, as vLLM lists them: the adapter's name, its path as root, the base model as parent.
            foreach (var a in _adapters.Values.OrderBy(a => a.Name, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("id", a.Name);
                w.WriteString("object", "model");
                w.WriteNumber("created", 1_700_000_000);
                w.WriteString("owned_by", "vllm");
                w.WriteString("root", a.Path);
                w.WriteString("parent", models[0]);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static Task WriteErrorAsync(HttpContext ctx, int status, string message, string type, string? code, string? param = null) =>
        WriteJsonAsync(ctx, status, w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteString("message", message);
            w.WriteString("type", type);
            if (param is null)
            {
                w.WriteNull("param");
            }
            else
            {
                w.WriteString("param", param);
            }

            if (code is null)
            {
                w.WriteNull("code");
            }
            else
            {
                w.WriteString("code", code);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        });

    private static async Task WriteJsonAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = buffer.WrittenCount;
        await ctx.Response.Body.WriteAsync(buffer.WrittenMemory, ctx.RequestAborted).ConfigureAwait(false);
    }
}
