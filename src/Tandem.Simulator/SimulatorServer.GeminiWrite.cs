using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tandem.Simulator;

/// <summary>Gemini answers, whole and streamed, embeddings, and Google's error bodies.</summary>
public sealed partial class SimulatorServer
{
    private sealed record GeminiAnswer(string Id, string Model, Reply Reply, int PromptTokens, int? MaxTokens, IReadOnlyList<string> StopSequences);

    private async Task WriteGeminiAsync(HttpContext ctx, GeminiAnswer a, SimulatorOptions options)
    {
        var (text, tokens, _, truncated) = a.Reply.ToolName is null ? Limit(a.Reply.Text ?? "", a.MaxTokens, a.StopSequences) : ("", a.Reply.CompletionTokens, null, false);
        await WriteJsonAsync(ctx, 200, w => WriteGeminiChunk(w, a, options, text, a.Reply.ToolName is not null, truncated ? "MAX_TOKENS" : "STOP", tokens)).ConfigureAwait(false);
    }

    private async Task StreamGeminiAsync(HttpContext ctx, GeminiAnswer a, SimulatorOptions options, Random random, FaultKind? fault)
    {
        var aborted = ctx.RequestAborted;
        await DelayAsync(options.TimeToFirstToken, random, aborted).ConfigureAwait(false);
        StartEventStream(ctx);
        ctx.Response.ContentType = "text/event-stream";
        var pipe = ctx.Response.BodyWriter;
        if (a.Reply.ToolName is not null)
        {
            // Gemini sends a function call whole, in one event.
            WriteSse(pipe, null, w => WriteGeminiChunk(w, a, options, "", tool: true, "STOP", a.Reply.CompletionTokens), "\r\n");
            await pipe.FlushAsync(aborted).ConfigureAwait(false);
            return;
        }

        var (text, tokens, _, truncated) = Limit(a.Reply.Text ?? "", a.MaxTokens, a.StopSequences);
        var pieces = TextPieces(text, options);
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
            var last = i == pieces.Count - 1;
            WriteSse(pipe, null, w => WriteGeminiChunk(w, a, options, piece, tool: false, last ? (truncated ? "MAX_TOKENS" : "STOP") : null, last ? tokens : i + 1), "\r\n");
            await pipe.FlushAsync(aborted).ConfigureAwait(false);
        }
    }

    private static void WriteGeminiChunk(Utf8JsonWriter w, GeminiAnswer a, SimulatorOptions options, string text, bool tool, string? finishReason, int completionTokens)
    {
        w.WriteStartObject();
        w.WriteStartArray("candidates");
        w.WriteStartObject();
        w.WriteStartObject("content");
        w.WriteStartArray("parts");
        w.WriteStartObject();
        if (tool)
        {
            w.WriteStartObject("functionCall");
            w.WriteString("name", a.Reply.ToolName);
            w.WritePropertyName("args");
            w.WriteRawValue(a.Reply.ToolArguments ?? "{}");
            w.WriteEndObject();
        }
        else
        {
            w.WriteString("text", text);
        }

        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("role", "model");
        w.WriteEndObject();
        if (finishReason is not null)
        {
            w.WriteString("finishReason", finishReason);
        }

        w.WriteNumber("index", 0);
        w.WriteEndObject();
        w.WriteEndArray();
        if (options.ReportUsage)
        {
            w.WriteStartObject("usageMetadata");
            w.WriteNumber("promptTokenCount", a.PromptTokens);
            w.WriteNumber("candidatesTokenCount", completionTokens);
            w.WriteNumber("totalTokenCount", a.PromptTokens + completionTokens);
            w.WriteEndObject();
        }

        w.WriteString("modelVersion", a.Model);
        w.WriteString("responseId", a.Id);
        w.WriteEndObject();
    }

    /// <summary>Deterministic vectors (a function of the text), in the shape of the method asked.</summary>
    private static Task WriteGeminiEmbeddingsAsync(HttpContext ctx, JsonElement root, string method) => WriteJsonAsync(ctx, 200, w =>
    {
        w.WriteStartObject();
        switch (method)
        {
            case "predict":
                var dims = root.TryGetProperty("parameters", out var parameters) && parameters.TryGetProperty("outputDimensionality", out var d) ? d.GetInt32() : 768;
                w.WriteStartArray("predictions");
                foreach (var instance in root.GetProperty("instances").EnumerateArray())
                {
                    var text = instance.GetProperty("content").GetString()!;
                    w.WriteStartObject();
                    w.WriteStartObject("embeddings");
                    WriteValues(w, text, dims);
                    w.WriteStartObject("statistics");
                    w.WriteNumber("token_count", Math.Max(1, (text.Length + 3) / 4));
                    w.WriteBoolean("truncated", false);
                    w.WriteEndObject();
                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case "batchEmbedContents":
                w.WriteStartArray("embeddings");
                foreach (var request in root.GetProperty("requests").EnumerateArray())
                {
                    w.WriteStartObject();
                    WriteValues(w, GeminiText(request.GetProperty("content")), Dimensions(request));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            default:
                w.WriteStartObject("embedding");
                WriteValues(w, GeminiText(root.GetProperty("content")), Dimensions(root));
                w.WriteEndObject();
                break;
        }

        w.WriteEndObject();
    });

    private static int Dimensions(JsonElement request) => request.TryGetProperty("outputDimensionality", out var d) ? d.GetInt32() : 768;

    private static void WriteValues(Utf8JsonWriter w, string text, int dimensions)
    {
        var random = new Random((int)XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(text)));
        w.WriteStartArray("values");
        for (var i = 0; i < dimensions; i++)
        {
            w.WriteNumberValue(Math.Round((random.NextDouble() * 2) - 1, 6));
        }

        w.WriteEndArray();
    }

    /// <summary>The injected server faults as Google sends them (429 carries its delay in the body, not in a header).</summary>
    private static Task GeminiFaultAsync(HttpContext ctx, FaultKind fault) => fault switch
    {
        FaultKind.Status429 => GeminiErrorAsync(ctx, 429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota). (simulated)", retryDelaySeconds: 9),
        FaultKind.Status503 => GeminiErrorAsync(ctx, 503, "UNAVAILABLE", "The model is overloaded. Please try again later. (simulated)"),
        _ => GeminiErrorAsync(ctx, 500, "INTERNAL", "An internal error has occurred. (simulated)"),
    };

    private static Task GeminiErrorAsync(HttpContext ctx, int status, string state, string message, int? retryDelaySeconds = null) => WriteJsonAsync(ctx, status, w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteNumber("code", status);
        w.WriteString("message", message);
        w.WriteString("status", state);
        if (retryDelaySeconds is int seconds)
        {
            w.WriteStartArray("details");
            w.WriteStartObject();
            w.WriteString("@type", "type.googleapis.com/google.rpc.RetryInfo");
            w.WriteString("retryDelay", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + "s");
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    });
}
