using System.Buffers;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Tandem.Simulator;

/// <summary>
/// An OpenAI-compatible upstream for tests, demos and load tests: chat completions (streaming or not, tool calls),
/// completions, embeddings and model listing, with configurable latency, token pace, injected faults and keyed
/// answers of a chosen accuracy. Not a model: answers are generated, or looked up from an answers file.
/// </summary>
public sealed partial class SimulatorServer : IAsyncDisposable
{
    private static readonly string[] Words =
        ["the", "model", "answers", "with", "a", "short", "and", "useful", "reply", "about", "your", "request",
         "so", "that", "you", "can", "measure", "latency", "tokens", "cost", "and", "agreement", "between", "deployments"];

    private readonly WebApplication _app;
    private readonly object _randomLock = new();
    private Random _random;
    private string[] _labels = [];
    private IReadOnlyDictionary<string, string>? _labelsFor;
    private long _sequence;

    private SimulatorServer(WebApplication app, SimulatorOptions options)
    {
        _app = app;
        Options = options;
        _random = options.Seed is int s ? new Random(s) : new Random();
    }

    /// <summary>The live options; changes apply to the next request.</summary>
    public SimulatorOptions Options { get; }

    /// <summary>Counters and recorded requests.</summary>
    public SimulatorStats Stats { get; } = new();

    /// <summary>The first address it listens on, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The OpenAI-style base URL, <c>{BaseAddress}/v1</c>.</summary>
    public Uri V1 => new(BaseAddress, "v1");

    /// <summary>Starts a simulator on <paramref name="urls"/> (use port 0 for an ephemeral port).</summary>
    public static async Task<SimulatorServer> StartAsync(SimulatorOptions options, string urls = "http://127.0.0.1:0", ILoggerProvider? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logger is not null)
        {
            builder.Logging.AddProvider(logger);
        }

        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
        });
        var app = builder.Build();
        var sim = new SimulatorServer(app, options);
        sim.Map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sim.BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        return sim;
    }

    /// <summary>Blocks until the host stops.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private void Map(WebApplication app)
    {
        app.MapPost("/v1/chat/completions", ctx => HandleAsync(ctx, Operation.Chat, null));
        app.MapPost("/chat/completions", ctx => HandleAsync(ctx, Operation.Chat, null));
        app.MapPost("/openai/deployments/{deployment}/chat/completions", ctx => HandleAsync(ctx, Operation.Chat, (string?)ctx.Request.RouteValues["deployment"]));
        app.MapPost("/v1/completions", ctx => HandleAsync(ctx, Operation.Completion, null));
        app.MapPost("/openai/deployments/{deployment}/completions", ctx => HandleAsync(ctx, Operation.Completion, (string?)ctx.Request.RouteValues["deployment"]));
        app.MapPost("/v1/embeddings", ctx => HandleAsync(ctx, Operation.Embedding, null));
        app.MapPost("/openai/deployments/{deployment}/embeddings", ctx => HandleAsync(ctx, Operation.Embedding, (string?)ctx.Request.RouteValues["deployment"]));
        app.MapGet("/v1/models", WriteModelsAsync);
        app.MapGet("/v1/models/{id}", ctx =>
        {
            var id = (string)ctx.Request.RouteValues["id"]!;
            if (Options.Models.Count > 0 && !Options.Models.Contains(id))
            {
                return WriteErrorAsync(ctx, 404, $"The model '{id}' does not exist.", "invalid_request_error", "model_not_found");
            }

            return WriteJsonAsync(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteString("object", "model");
                w.WriteNumber("created", 1_700_000_000);
                w.WriteString("owned_by", "tandem-simulator");
                w.WriteEndObject();
            });
        });
        app.MapGet("/_sim", ctx => WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("label", Options.Label);
            w.WriteString("note", "simulated OpenAI-compatible upstream: answers are generated, not produced by a model");
            w.WriteNumber("received", Stats.Received);
            w.WriteNumber("completed", Stats.Completed);
            w.WriteNumber("cancelled", Stats.Cancelled);
            w.WriteNumber("faults", Stats.Faults);
            w.WriteNumber("rejected", Stats.Rejected);
            w.WriteNumber("answers_matched", Stats.AnswersMatched);
            w.WriteNumber("answers_unmatched", Stats.AnswersUnmatched);
            w.WriteEndObject();
        }));
        app.MapGet("/_sim/requests", ctx => WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartArray();
            foreach (var r in Stats.Recent)
            {
                w.WriteStartObject();
                w.WriteString("method", r.Method);
                w.WriteString("path", r.Path);
                w.WriteString("query", r.Query);
                w.WriteString("body", r.Body);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }));
        app.MapPost("/_sim/faults", async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var text = await reader.ReadToEndAsync(ctx.RequestAborted).ConfigureAwait(false);
            try
            {
                Options.Faults = Fault.ParseList(text);
                ctx.Response.StatusCode = 204;
            }
            catch (FormatException e)
            {
                await WriteErrorAsync(ctx, 400, e.Message, "invalid_request_error", null).ConfigureAwait(false);
            }
        });
        app.MapGet("/healthz", ctx => ctx.Response.WriteAsync("ok"));
    }

    private enum Operation
    {
        Chat,
        Completion,
        Embedding,
    }

    private async Task HandleAsync(HttpContext ctx, Operation operation, string? azureDeployment)
    {
        var aborted = ctx.RequestAborted;
        byte[] body;
        try
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms, aborted).ConfigureAwait(false);
            body = ms.ToArray();
        }
        catch (OperationCanceledException)
        {
            Stats.OnCancelled();
            return;
        }

        var options = Options;
        Stats.OnReceived(options.RecordRequests > 0 ? Capture(ctx, body) : null, options.RecordRequests);

        if (options.RequiredApiKey is { } required)
        {
            var auth = ctx.Request.Headers.Authorization.ToString();
            var apiKey = ctx.Request.Headers["api-key"].ToString();
            if (auth != "Bearer " + required && apiKey != required)
            {
                await WriteErrorAsync(ctx, 401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key").ConfigureAwait(false);
                return;
            }
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            await WriteErrorAsync(ctx, 400, "We could not parse the JSON body of your request.", "invalid_request_error", null).ConfigureAwait(false);
            return;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (CheckRequest(body, root, operation) is { } bad)
            {
                Stats.OnRejected();
                await WriteErrorAsync(ctx, 400, bad.Message, "invalid_request_error", bad.Code, bad.Param).ConfigureAwait(false);
                return;
            }

            var model = azureDeployment ?? (root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "");
            if (options.Models.Count > 0 && !options.Models.Contains(model))
            {
                await WriteErrorAsync(ctx, 404, $"The model '{model}' does not exist or you do not have access to it.", "invalid_request_error", "model_not_found").ConfigureAwait(false);
                return;
            }

            if (options.RejectResponseFormat && root.TryGetProperty("response_format", out _))
            {
                await WriteErrorAsync(ctx, 400, "response_format is not supported by this server. (simulated)", "invalid_request_error", null).ConfigureAwait(false);
                return;
            }

            var random = NextRandom();
            var fault = PickFault(options, random);
            if (fault is not null)
            {
                Stats.OnFault();
                if (await ApplyFaultBeforeResponseAsync(ctx, fault.Value, options, Stats).ConfigureAwait(false))
                {
                    return;
                }
            }

            try
            {
                var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
                var reportedModel = options.ReportedModel ?? model;
                switch (operation)
                {
                    case Operation.Embedding:
                        await DelayAsync(options.Latency, random, aborted).ConfigureAwait(false);
                        await WriteEmbeddingsAsync(ctx, root, reportedModel, options).ConfigureAwait(false);
                        break;
                    case Operation.Completion:
                        await WriteCompletionAsync(ctx, root, reportedModel, options, random, stream, fault).ConfigureAwait(false);
                        break;
                    default:
                        var answer = Answer(root, options);
                        if (stream)
                        {
                            await StreamChatAsync(ctx, root, reportedModel, answer, options, random, fault).ConfigureAwait(false);
                        }
                        else
                        {
                            await DelayAsync(options.Latency, random, aborted).ConfigureAwait(false);
                            if (fault == FaultKind.Abort)
                            {
                                await AbortMidBodyAsync(ctx).ConfigureAwait(false);
                                return;
                            }

                            await WriteChatAsync(ctx, root, reportedModel, answer, options).ConfigureAwait(false);
                        }

                        break;
                }

                if (aborted.IsCancellationRequested)
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
            catch (InvalidOperationException) when (!ctx.Response.HasStarted)
            {
                // Text with no UTF-16 form, such as an escaped unpaired surrogate, which is valid JSON syntax.
                Stats.OnRejected();
                await WriteErrorAsync(ctx, 400, "We could not read the text of your request: a string holds an unpaired surrogate escape.",
                    "invalid_request_error", "invalid_value").ConfigureAwait(false);
            }
        }
    }

    private static ReceivedRequest Capture(HttpContext ctx, byte[] body)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in ctx.Request.Headers)
        {
            headers[k] = v.ToString();
        }

        return new ReceivedRequest(ctx.Request.Method, ctx.Request.Path, ctx.Request.QueryString.Value ?? "", headers, Encoding.UTF8.GetString(body));
    }

    private Random NextRandom()
    {
        // One generator per request, seeded from the shared one, so a request's choices do not depend on how
        // concurrent requests interleave once their order of arrival is fixed.
        lock (_randomLock)
        {
            return new Random(_random.Next());
        }
    }

    private static FaultKind? PickFault(SimulatorOptions options, Random random)
    {
        foreach (var f in options.Faults)
        {
            if (f.Probability > 0 && random.NextDouble() < f.Probability)
            {
                return f.Kind;
            }
        }

        return null;
    }

    /// <summary>Applies faults that replace the response; returns true when the request is done.</summary>
    private static async Task<bool> ApplyFaultBeforeResponseAsync(HttpContext ctx, FaultKind fault, SimulatorOptions options, SimulatorStats stats)
    {
        switch (fault)
        {
            case FaultKind.Status500:
                await WriteErrorAsync(ctx, 500, "The server had an error while processing your request. (simulated)", "server_error", null).ConfigureAwait(false);
                return true;
            case FaultKind.Status503:
                await WriteErrorAsync(ctx, 503, "The engine is currently overloaded, please try again later. (simulated)", "server_error", null).ConfigureAwait(false);
                return true;
            case FaultKind.Status429:
                ctx.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await WriteErrorAsync(ctx, 429, "Rate limit reached for requests. (simulated)", "requests", "rate_limit_exceeded").ConfigureAwait(false);
                return true;
            case FaultKind.Reset:
                ctx.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
                ctx.Abort();
                return true;
            case FaultKind.Stall:
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, ctx.RequestAborted).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    stats.OnCancelled();
                }

                return true;
            default:
                return false;
        }
    }

    private static async Task AbortMidBodyAsync(HttpContext ctx)
    {
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = 4096;
        await ctx.Response.Body.WriteAsync("{\"id\":\"chatcmpl-sim\",\"object\":\"chat.comp"u8.ToArray()).ConfigureAwait(false);
        await ctx.Response.Body.FlushAsync().ConfigureAwait(false);
        await CutAsync(ctx).ConfigureAwait(false);
    }

    /// <summary>
    /// Cuts the connection the way a crashing server does. The bytes already sent are given a moment to reach
    /// the peer first: a reset arriving with unread data makes the peer's kernel discard that data, which would
    /// turn a mid-stream failure into a failure before the first byte.
    /// </summary>
    private static async Task CutAsync(HttpContext ctx)
    {
        await Task.Delay(50, ctx.RequestAborted).ConfigureAwait(false);
        ctx.Abort();
    }

    private static async Task DelayAsync(Distribution distribution, Random random, CancellationToken cancellationToken)
    {
        var delay = distribution.Sample(random);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private readonly record struct Reply(string? Text, string? ToolName, string? ToolArguments, int CompletionTokens);

    private Reply Answer(JsonElement root, SimulatorOptions options)
    {
        var lastRole = "";
        var lastUser = "";
        var promptChars = 0;
        var allText = options.JudgeScript is { Count: > 0 } ? new StringBuilder() : null;
        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                var role = message.TryGetProperty("role", out var r) ? r.GetString() ?? "" : "";
                var text = TextOf(message);
                promptChars += text.Length;
                lastRole = role;
                if (role == "user")
                {
                    lastUser = text;
                }

                allText?.Append(text).Append('\n');
            }
        }

        if (allText is not null)
        {
            var prompt = allText.ToString();
            foreach (var rule in options.JudgeScript!)
            {
                if (prompt.Contains(rule.Contains, StringComparison.Ordinal))
                {
                    return new Reply(rule.Reply, null, null, Math.Max(1, CountWords(rule.Reply)));
                }
            }
        }

        // Tools: call the first declared function unless the conversation already holds its result.
        if (lastRole != "tool" && root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
        {
            var function = tools[0].TryGetProperty("function", out var f) ? f : default;
            var name = function.ValueKind == JsonValueKind.Object && function.TryGetProperty("name", out var n) ? n.GetString() ?? "tool" : "tool";
            var args = ArgumentsFor(function);
            return new Reply(null, name, args, Math.Max(1, args.Length / 4));
        }

        if (lastRole == "tool")
        {
            var text = "The tool returned its result, and here is the answer based on it.";
            return new Reply(text, null, null, CountWords(text));
        }

        var keyed = Keyed(lastUser.Trim(), options);
        if (keyed is not null)
        {
            return new Reply(keyed, null, null, Math.Max(1, CountWords(keyed)));
        }

        var sb = new StringBuilder();
        var seed = (int)XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(lastUser));
        for (var i = 0; i < options.OutputTokens; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }

            sb.Append(Words[(int)((uint)(seed + (i * 7919)) % Words.Length)]);
        }

        if (options.OutputTokens > 0)
        {
            sb.Append('.');
        }

        return new Reply(sb.ToString(), null, null, options.OutputTokens);
    }

    /// <summary>
    /// Looks the last user message up in the answers file: first the whole message (trimmed), then each of its lines
    /// (trimmed), then on each line the text after its first colon (so <c>Text: I lost my card</c> matches the input
    /// <c>I lost my card</c>). Matching is exact and case-sensitive.
    /// </summary>
    private string? Keyed(string input, SimulatorOptions options)
    {
        var answers = options.Answers;
        if (answers is null || answers.Count == 0)
        {
            return null;
        }

        if (!answers.TryGetValue(input, out var correct))
        {
            // A prompt template may wrap the input: look for it on a line of its own.
            foreach (var line in input.Split('\n'))
            {
                var l = line.Trim();
                if (answers.TryGetValue(l, out correct))
                {
                    input = l;
                    break;
                }

                var colon = l.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && answers.TryGetValue(l[(colon + 1)..].Trim(), out correct))
                {
                    input = l[(colon + 1)..].Trim();
                    break;
                }
            }

            if (correct is null)
            {
                // The answers file has no entry for this input: it gets a generated answer, and the miss is counted
                // (GET /_sim answers_unmatched), since an eval against it would otherwise look merely inaccurate.
                Stats.OnAnswer(matched: false);
                return null;
            }
        }

        Stats.OnAnswer(matched: true);

        // Correctness is a pure function of (seed, input): the same input always gets the same answer, so
        // repeated or shadowed calls agree with themselves and accuracy is measurable against ground truth.
        var labels = LabelsOf(answers);
        var h = Hash(input, options.Seed ?? 0);
        var u = (h & 0xFFFFFF) / (double)0x1000000;
        if (u < options.Accuracy || labels.Length < 2)
        {
            return correct;
        }

        var pick = (int)((h >> 24) % (ulong)(labels.Length - 1));
        var wrong = labels[pick];
        return wrong == correct ? labels[labels.Length - 1] : wrong;
    }

    private string[] LabelsOf(IReadOnlyDictionary<string, string> answers)
    {
        if (!ReferenceEquals(_labelsFor, answers))
        {
            var labels = answers.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            _labels = labels;
            _labelsFor = answers;
        }

        return _labels;
    }

    private static ulong Hash(string input, int seed)
    {
        var bytes = Encoding.UTF8.GetBytes(input);
        return XxHash64.HashToUInt64(bytes, seed);
    }

    private static string ArgumentsFor(JsonElement function)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (function.ValueKind == JsonValueKind.Object
                && function.TryGetProperty("parameters", out var p)
                && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty("properties", out var props)
                && props.ValueKind == JsonValueKind.Object)
            {
                foreach (var prop in props.EnumerateObject())
                {
                    var type = prop.Value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : "string";
                    switch (type)
                    {
                        case "integer" or "number":
                            w.WriteNumber(prop.Name, 1);
                            break;
                        case "boolean":
                            w.WriteBoolean(prop.Name, true);
                            break;
                        case "array":
                            w.WriteStartArray(prop.Name);
                            w.WriteEndArray();
                            break;
                        case "object":
                            w.WriteStartObject(prop.Name);
                            w.WriteEndObject();
                            break;
                        default:
                            w.WriteString(prop.Name, prop.Value.TryGetProperty("enum", out var e) && e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0 ? e[0].ToString() : "simulated");
                            break;
                    }
                }
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string TextOf(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return "";
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString() ?? "";
        }

        if (content.ValueKind == JsonValueKind.Array)
        {
            var sb = new StringBuilder();
            foreach (var part in content.EnumerateArray())
            {
                if (part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    sb.Append(t.GetString());
                }
            }

            return sb.ToString();
        }

        return "";
    }

    private static int CountWords(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    private static int PromptTokens(JsonElement root)
    {
        var chars = 0;
        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                chars += TextOf(message).Length + 16;
            }
        }
        else if (root.TryGetProperty("prompt", out var prompt))
        {
            chars += prompt.ToString().Length;
        }

        return Math.Max(1, (chars + 3) / 4);
    }

    private string NextId(string prefix) => prefix + "sim" + Interlocked.Increment(ref _sequence).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

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
