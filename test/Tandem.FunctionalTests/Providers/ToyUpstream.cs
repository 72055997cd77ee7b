using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tandem.FunctionalTests.Providers;

/// <summary>What a test upstream does with the next requests.</summary>
public enum UpstreamFault
{
    None,
    Status503,
    Status429,
    Status400,
    ContextTooLong,
    AbortMidStream,
    StallMidStream,
    EchoKey,
}

/// <summary>
/// A server speaking "toy", a protocol made up for the tests so that nothing in it is OpenAI's: a request
/// <c>POST /generate {"engine","turns":[{"speaker","text"}],"limit","live"}</c>; a whole answer
/// <c>{"output","end":"done|limit","counts":{"in","out"}}</c>; a live answer as newline-delimited JSON
/// (<c>{"piece":"…"}</c> lines, then <c>{"end":"done","counts":{…}}</c>); errors <c>{"problem":{"text","kind"}}</c>.
/// Counts: <c>in</c> is the number of space-separated words over all turns, <c>out</c> the number of pieces (words).
/// </summary>
public sealed class ToyUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _received;
    private int _cancelled;

    private ToyUpstream(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The answer text (split into pieces on spaces).</summary>
    public string Answer { get; set; } = "Paris is the capital of France.";

    public UpstreamFault Fault { get; set; }

    public int RetryAfterSeconds { get; set; } = 9;

    public int Received => Volatile.Read(ref _received);

    public int Cancelled => Volatile.Read(ref _cancelled);

    /// <summary>The last request body received.</summary>
    public JsonNode? LastRequest { get; private set; }

    public static async Task<ToyUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var toy = new ToyUpstream(app);
        app.MapPost("/toy/generate", toy.GenerateAsync);
        app.MapGet("/toy/health", static () => "ok");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        toy.BaseUrl = new Uri(address.TrimEnd('/') + "/toy");
        return toy;
    }

    private async Task GenerateAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _received);
        var request = (await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted))!;
        LastRequest = request;
        var live = (bool?)request["live"] ?? false;
        var words = 0;
        foreach (var turn in request["turns"]!.AsArray())
        {
            words += ((string?)turn!["text"] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        }

        switch (Fault)
        {
            case UpstreamFault.Status503:
                await ProblemAsync(ctx, 503, "busy", "the engine is busy");
                return;
            case UpstreamFault.Status429:
                ctx.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                ctx.Response.Headers["x-ratelimit-remaining-requests"] = "0";
                await ProblemAsync(ctx, 429, "slow_down", "too many requests");
                return;
            case UpstreamFault.Status400:
                await ProblemAsync(ctx, 400, "bad", "temperature must be at most 2");
                return;
            case UpstreamFault.EchoKey:
                await ProblemAsync(ctx, 400, "bad", "key " + ctx.Request.Headers["x-toy-key"] + " may not use this engine");
                return;
            case UpstreamFault.ContextTooLong:
                await ProblemAsync(ctx, 400, "too_long", "the turns exceed the engine's window");
                return;
        }

        var limit = (int?)request["limit"] ?? int.MaxValue;
        var pieces = Answer.Split(' ');
        var end = pieces.Length > limit ? "limit" : "done";
        pieces = pieces.Take(limit).ToArray();
        if (!live)
        {
            ctx.Response.ContentType = "application/json";
            var body = new JsonObject
            {
                ["output"] = string.Join(' ', pieces),
                ["end"] = end,
                ["counts"] = new JsonObject { ["in"] = words, ["out"] = pieces.Length },
            };
            await ctx.Response.WriteAsync(body.ToJsonString(), ctx.RequestAborted);
            return;
        }

        ctx.Response.ContentType = "application/x-ndjson";
        try
        {
            for (var i = 0; i < pieces.Length; i++)
            {
                if (i == 2 && Fault == UpstreamFault.AbortMidStream)
                {
                    // The answer stops before its end line (the connection closes cleanly, so every byte sent arrives
                    // and the outcome does not depend on timing).
                    return;
                }

                if (i == 2 && Fault == UpstreamFault.StallMidStream)
                {
                    await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
                }

                var line = new JsonObject { ["piece"] = (i == 0 ? "" : " ") + pieces[i] }.ToJsonString() + "\n";
                // Split each line in two writes, so that the adapter must reassemble lines across reads.
                var bytes = Encoding.UTF8.GetBytes(line);
                await ctx.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                await ctx.Response.Body.WriteAsync(bytes.AsMemory(bytes.Length / 2), ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            }

            var last = new JsonObject { ["end"] = end, ["counts"] = new JsonObject { ["in"] = words, ["out"] = pieces.Length } }.ToJsonString() + "\n";
            await ctx.Response.WriteAsync(last, ctx.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelled);
        }
    }

    private static Task ProblemAsync(HttpContext ctx, int status, string kind, string text)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(new JsonObject { ["problem"] = new JsonObject { ["text"] = text, ["kind"] = kind } }.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
