using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Tandem.Simulator;

/// <summary>
/// What the provider protocols other than OpenAI's (Anthropic, Gemini) share: request intake and counters, faults, and
/// a view of the conversation in OpenAI's shape, so that every protocol answers with the same keyed answers, tool
/// calls and token counts as the OpenAI endpoints (<see cref="Answer"/>, <see cref="PromptTokens"/>).
/// </summary>
public sealed partial class SimulatorServer
{
    /// <summary>Reads the body, counts the request, and runs <paramref name="handle"/> with cancellations counted.</summary>
    private async Task HandleProtocolAsync(HttpContext ctx, Func<HttpContext, byte[], Task> handle)
    {
        Stats.Enter();
        try
        {
            byte[] body;
            try
            {
                using var ms = new MemoryStream();
                await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted).ConfigureAwait(false);
                body = ms.ToArray();
            }
            catch (OperationCanceledException)
            {
                Stats.OnCancelled();
                return;
            }

            Stats.OnReceived(Options.RecordRequests > 0 ? Capture(ctx, body) : null, Options.RecordRequests);
            try
            {
                await handle(ctx, body).ConfigureAwait(false);
                if (ctx.RequestAborted.IsCancellationRequested)
                {
                    Stats.OnCancelled();
                }
                else
                {
                    Stats.OnCompleted();
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionAbortedException)
            {
                Stats.OnCancelled();
            }
        }
        finally
        {
            Stats.Leave();
        }
    }

    /// <summary>
    /// Applies a fault that replaces the response, with <paramref name="writeError"/> writing the protocol's error body
    /// (status, message, kind). Returns true when the request is done. Abort is applied by the answer writers.
    /// </summary>
    private static async Task<bool> ApplyProtocolFaultAsync(HttpContext ctx, FaultKind fault, SimulatorOptions options, SimulatorStats stats, Func<HttpContext, FaultKind, Task> writeError)
    {
        switch (fault)
        {
            case FaultKind.Status500 or FaultKind.Status503 or FaultKind.Status429:
                await writeError(ctx, fault).ConfigureAwait(false);
                return true;
            case FaultKind.Reset or FaultKind.Stall:
                return await ApplyFaultBeforeResponseAsync(ctx, fault, options, stats).ConfigureAwait(false);
            default:
                return false;
        }
    }

    /// <summary>Starts an event stream response.</summary>
    private static void StartEventStream(HttpContext ctx)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    /// <summary>Writes one server-sent event: an optional <c>event:</c> line, the JSON data line, and the blank line.</summary>
    private static void WriteSse(System.IO.Pipelines.PipeWriter pipe, string? eventName, Action<Utf8JsonWriter> write, string lineEnd = "\n")
    {
        var end = System.Text.Encoding.ASCII.GetBytes(lineEnd);
        if (eventName is not null)
        {
            Write(pipe, "event: "u8);
            Write(pipe, System.Text.Encoding.ASCII.GetBytes(eventName));
            Write(pipe, end);
        }

        Write(pipe, "data: "u8);
        using (var w = new Utf8JsonWriter(pipe))
        {
            write(w);
        }

        Write(pipe, end);
        Write(pipe, end);
    }

    /// <summary>Splits a text answer into streamed pieces of <see cref="SimulatorOptions.TokensPerChunk"/> words, as the OpenAI endpoint does.</summary>
    private static List<string> TextPieces(string text, SimulatorOptions options)
    {
        var pieces = new List<string>();
        var words = text.Split(' ');
        var per = Math.Max(1, options.TokensPerChunk);
        for (var i = 0; i < words.Length; i += per)
        {
            var piece = string.Join(' ', words, i, Math.Min(per, words.Length - i));
            pieces.Add(i == 0 ? piece : " " + piece);
        }

        return pieces;
    }

    /// <summary>Splits tool arguments into pieces of 8 characters, as the OpenAI endpoint does.</summary>
    private static List<string> ArgumentPieces(string arguments)
    {
        var pieces = new List<string>();
        for (var i = 0; i < arguments.Length; i += 8)
        {
            pieces.Add(arguments.Substring(i, Math.Min(8, arguments.Length - i)));
        }

        return pieces;
    }

    /// <summary>The pause between streamed pieces at <see cref="SimulatorOptions.TokensPerSecond"/>.</summary>
    private static TimeSpan PieceDelay(SimulatorOptions options) =>
        options.TokensPerSecond > 0 ? TimeSpan.FromSeconds(Math.Max(1, options.TokensPerChunk) / options.TokensPerSecond) : TimeSpan.Zero;

    /// <summary>
    /// A text answer cut the way a model stops: at the first stop sequence it contains (the sequence left out), else
    /// after <paramref name="maxTokens"/> words (one word is one simulated token).
    /// </summary>
    private static (string Text, int Tokens, string? StopSequence, bool Truncated) Limit(string text, int? maxTokens, IReadOnlyList<string> stops)
    {
        string? hit = null;
        var at = -1;
        foreach (var stop in stops)
        {
            var i = stop.Length == 0 ? -1 : text.IndexOf(stop, StringComparison.Ordinal);
            if (i >= 0 && (at < 0 || i < at))
            {
                (at, hit) = (i, stop);
            }
        }

        if (hit is not null)
        {
            text = text[..at];
        }

        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (maxTokens is int max && words.Length > max)
        {
            return (string.Join(' ', words, 0, max), max, null, true);
        }

        return (text, Math.Max(hit is null ? 1 : 0, words.Length), hit, false);
    }

    /// <summary>A JSON value that satisfies <paramref name="schema"/> (an object schema), as tool arguments are made up.</summary>
    private static string JsonFor(JsonElement schema)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WritePropertyName("parameters");
            schema.WriteTo(w);
            w.WriteEndObject();
        }

        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return ArgumentsFor(doc.RootElement);
    }

    /// <summary>
    /// A conversation in OpenAI's shape (<c>messages</c> with roles and text, <c>tools</c> with parameters), built from
    /// another protocol's request so that the OpenAI endpoint's answer logic serves it unchanged.
    /// </summary>
    private sealed class ChatView
    {
        private readonly List<(string Role, string Text)> _messages = [];
        private readonly List<(string Name, JsonElement Parameters)> _tools = [];

        public void Add(string role, string text) => _messages.Add((role, text));

        public void Tool(string name, JsonElement parameters) => _tools.Add((name, parameters));

        /// <summary>Puts the tool named <paramref name="name"/> first: the answer logic calls the first tool.</summary>
        public void Force(string name)
        {
            var i = _tools.FindIndex(t => t.Name == name);
            if (i > 0)
            {
                var tool = _tools[i];
                _tools.RemoveAt(i);
                _tools.Insert(0, tool);
            }
        }

        public void ClearTools() => _tools.Clear();

        public JsonDocument ToDocument()
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteStartArray("messages");
                foreach (var (role, text) in _messages)
                {
                    w.WriteStartObject();
                    w.WriteString("role", role);
                    w.WriteString("content", text);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("tools");
                foreach (var (name, parameters) in _tools)
                {
                    w.WriteStartObject();
                    w.WriteString("type", "function");
                    w.WriteStartObject("function");
                    w.WriteString("name", name);
                    if (parameters.ValueKind == JsonValueKind.Object)
                    {
                        w.WritePropertyName("parameters");
                        parameters.WriteTo(w);
                    }

                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            return JsonDocument.Parse(buffer.WrittenMemory);
        }
    }
}
