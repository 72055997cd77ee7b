using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tandem.Simulator;

/// <summary>
/// SageMaker runtime: an endpoint whose container speaks either OpenAI chat completions (<c>messages</c>, as vLLM,
/// LMI and TGI's Messages API do) or TGI's <c>inputs</c> + <c>parameters</c>. <c>InvokeEndpoint</c> answers with the
/// container's body; <c>InvokeEndpointWithResponseStream</c> wraps the container's stream in <c>PayloadPart</c> events.
/// </summary>
/// <remarks>
/// Faults map to SageMaker's errors: 500 → <c>ModelError</c> 424 with the container's status 500; 503 →
/// <c>ServiceUnavailable</c> 503; 429 → <c>ModelNotReadyException</c> 429 with <c>Retry-After</c>. A container that
/// refuses a malformed chat request answers 424 <c>ModelError</c> with its own 400, as real endpoints do. TGI's
/// <c>input_length</c> counts ceil((prompt characters + 16) / 4) tokens and <c>generated_tokens</c> one per word.
/// </remarks>
public sealed partial class SimulatorServer
{
    private static readonly (string Start, string End)[] UserTurnMarkers =
    [
        ("<|start_header_id|>user<|end_header_id|>\n\n", "<|eot_id|>"),
        ("<|im_start|>user\n", "<|im_end|>"),
        ("[INST] ", " [/INST]"),
    ];

    private async Task HandleSageMakerAsync(HttpContext ctx, JsonElement root, string endpoint, bool stream, SimulatorOptions options)
    {
        if (options.Models.Count > 0 && !options.Models.Contains(endpoint))
        {
            await WriteAwsErrorAsync(ctx, 400, "ValidationError", $"Endpoint {endpoint} of account 000000000000 not found.").ConfigureAwait(false);
            return;
        }

        var tgi = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("inputs", out _);
        if (!tgi && CheckRequest(Encoding.UTF8.GetBytes(root.GetRawText()), root, Operation.Chat) is { } bad)
        {
            Stats.OnRejected();
            await WriteModelErrorAsync(ctx, 400, bad.Message).ConfigureAwait(false);
            return;
        }

        var random = NextRandom();
        var (fault, done) = await AwsFaultAsync(ctx, options, random, static f => f switch
        {
            FaultKind.Status500 => (424, "ModelError", "Received server error (500) from primary with message \"simulated container failure\".",
                """{"ErrorCode":"INTERNAL_FAILURE_FROM_MODEL","Message":"Received server error (500) from primary with message \"simulated container failure\".","OriginalMessage":"simulated container failure","OriginalStatusCode":500}"""),
            FaultKind.Status503 => (503, "ServiceUnavailable", "The service is unavailable. (simulated)", null),
            _ => (429, "ModelNotReadyException", "The model is not ready to serve requests yet. (simulated)", null),
        }).ConfigureAwait(false);
        if (done)
        {
            return;
        }

        ctx.Response.Headers["X-Amzn-Invoked-Production-Variant"] = ctx.Request.Headers["X-Amzn-SageMaker-Target-Variant"] is { Count: > 0 } v ? v.ToString() : "AllTraffic";
        if (!tgi)
        {
            var reply = Answer(root, options);
            if (stream)
            {
                // The container streams OpenAI chunks; SageMaker wraps them in PayloadPart events.
                var original = ctx.Response.Body;
                ctx.Response.Body = new PayloadPartStream(ctx, original);
                await StreamChatAsync(ctx, root, endpoint, reply, options, random, fault).ConfigureAwait(false);
                await ctx.Response.BodyWriter.CompleteAsync().ConfigureAwait(false);
                return;
            }

            await DelayAsync(options.Latency, random, ctx.RequestAborted).ConfigureAwait(false);
            await WriteChatAsync(ctx, root, endpoint, reply, options).ConfigureAwait(false);
            return;
        }

        var inputs = root.GetProperty("inputs").GetString() ?? "";
        using var synthetic = JsonDocument.Parse(JsonOf(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("messages");
            w.WriteStartObject();
            w.WriteString("role", "user");
            w.WriteString("content", LastUserTurn(inputs));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }));
        var answer = Answer(synthetic.RootElement, options);
        var inputLength = Math.Max(1, (inputs.Length + 16 + 3) / 4);
        var words = (answer.Text ?? "").Split(' ');
        var maxNew = root.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
            && p.TryGetProperty("max_new_tokens", out var m) && m.ValueKind == JsonValueKind.Number && m.TryGetInt32(out var max) ? max : 20;
        var finish = words.Length > maxNew ? "length" : "eos_token";
        words = words.Take(maxNew).ToArray();
        if (!stream)
        {
            await DelayAsync(options.Latency, random, ctx.RequestAborted).ConfigureAwait(false);
            await WriteJsonAsync(ctx, 200, w =>
            {
                w.WriteStartArray();
                w.WriteStartObject();
                w.WriteString("generated_text", string.Join(' ', words));
                WriteTgiDetails(w, finish, words.Length, inputLength);
                w.WriteEndObject();
                w.WriteEndArray();
            }).ConfigureAwait(false);
            return;
        }

        await DelayAsync(options.TimeToFirstToken, random, ctx.RequestAborted).ConfigureAwait(false);
        var parts = new PayloadPartStream(ctx, ctx.Response.Body);
        var abortAfter = fault == FaultKind.Abort ? Math.Max(1, words.Length / 2) : int.MaxValue;
        for (var i = 0; i < words.Length; i++)
        {
            if (i >= abortAfter)
            {
                await CutAsync(ctx).ConfigureAwait(false);
                return;
            }

            var piece = (i == 0 ? "" : " ") + words[i];
            await parts.WriteAsync(TgiEvent(i, piece, special: false, null, null), ctx.RequestAborted).ConfigureAwait(false);
            await parts.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
        }

        await parts.WriteAsync(TgiEvent(words.Length, "<|eot_id|>", special: true, string.Join(' ', words), w => WriteTgiDetails(w, finish, words.Length, inputLength)), ctx.RequestAborted).ConfigureAwait(false);
        await parts.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The last user turn of a prompt rendered with a Llama 3, ChatML or Mistral template (or the whole prompt).</summary>
    private static string LastUserTurn(string prompt)
    {
        foreach (var (start, end) in UserTurnMarkers)
        {
            var s = prompt.LastIndexOf(start, StringComparison.Ordinal);
            if (s < 0)
            {
                continue;
            }

            s += start.Length;
            var e = prompt.IndexOf(end, s, StringComparison.Ordinal);
            var turn = e < 0 ? prompt[s..] : prompt[s..e];
            // Mistral puts the system text before the first user text, separated by a blank line.
            var blank = start == "[INST] " ? turn.LastIndexOf("\n\n", StringComparison.Ordinal) : -1;
            return blank >= 0 ? turn[(blank + 2)..] : turn;
        }

        return prompt;
    }

    /// <summary>The JSON a writer callback produces.</summary>
    private static byte[] JsonOf(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] TgiEvent(int index, string text, bool special, string? generated, Action<Utf8JsonWriter>? details)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write("data:"u8);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("index", index);
            w.WriteStartObject("token");
            w.WriteNumber("id", 1000 + index);
            w.WriteString("text", text);
            w.WriteNumber("logprob", -0.25);
            w.WriteBoolean("special", special);
            w.WriteEndObject();
            if (generated is null)
            {
                w.WriteNull("generated_text");
                w.WriteNull("details");
            }
            else
            {
                w.WriteString("generated_text", generated);
                details!(w);
            }

            w.WriteEndObject();
        }

        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteTgiDetails(Utf8JsonWriter w, string finish, int generated, int inputLength)
    {
        w.WriteStartObject("details");
        w.WriteString("finish_reason", finish);
        w.WriteNumber("generated_tokens", generated);
        w.WriteNumber("input_length", inputLength);
        w.WriteNull("seed");
        w.WriteEndObject();
    }

    private static Task WriteModelErrorAsync(HttpContext ctx, int containerStatus, string containerMessage)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("ErrorCode", "CLIENT_ERROR_FROM_MODEL");
            w.WriteString("Message", $"Received client error ({containerStatus}) from primary with message \"{containerMessage}\".");
            w.WriteString("OriginalMessage", containerMessage);
            w.WriteNumber("OriginalStatusCode", containerStatus);
            w.WriteEndObject();
        }

        return WriteAwsErrorAsync(ctx, 424, "ModelError", "", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
