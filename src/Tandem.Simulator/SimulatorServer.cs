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
            if (Options.Models.Count > 0 && !Options.Models.Contains(id) && !_adapters.ContainsKey(id))
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
        MapLora(app);
        MapAnthropic(app);
        MapGemini(app);
        MapAws(app);
    }

    private enum Operation
    {
        Chat,
        Completion,
        Embedding,
    }

    private async Task HandleAsync(HttpContext ctx, Operation operation, string? azureDeployment)
    {
        Stats.Enter();
        try
        {
            await HandleCoreAsync(ctx, operation, azureDeployment).ConfigureAwait(false);
        }
        finally
        {
            Stats.Leave();
        }
    }

    private async Task HandleCoreAsync(HttpContext ctx, Operation operation, string? azureDeployment)
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
            options = OptionsFor(model, options, out var isAdapter);
            if (!isAdapter && options.Models.Count > 0 && !options.Models.Contains(model))
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
}
