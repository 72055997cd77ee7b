using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tandem.FunctionalTests.Infrastructure;

/// <summary>
/// A real Kestrel upstream on loopback whose every <c>/v1/…</c> request is answered by a script: for wire cases the
/// simulator does not produce (custom headers, a stream that stops without its end, an exact error body). The
/// gateway's health probes (<c>GET /v1/models</c>) are answered with an empty list and neither counted nor scripted.
/// </summary>
public sealed class ScriptedUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    private ScriptedUpstream(WebApplication app) => _app = app;

    /// <summary>The base URL to configure, ending in <c>/v1</c>.</summary>
    public string V1 => _app.Urls.First().TrimEnd('/') + "/v1";

    /// <summary>Scripted requests (everything but the health probe) answered so far.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Starts an upstream that answers with <paramref name="script"/> (the int is the call's index, from 0).</summary>
    public static async Task<ScriptedUpstream> StartAsync(Func<HttpContext, int, Task> script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var upstream = new ScriptedUpstream(app);
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = Array.Empty<object>() }));
        app.Map("/v1/{**rest}", ctx => script(ctx, Interlocked.Increment(ref upstream._calls) - 1));
        await app.StartAsync();
        return upstream;
    }

    /// <summary>Writes <paramref name="events"/> as SSE <c>data:</c> events, flushing each, and ends the response.</summary>
    public static async Task StreamAsync(HttpContext ctx, params string[] events)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream";
        foreach (var e in events)
        {
            await ctx.Response.WriteAsync("data: " + e + "\n\n");
            await ctx.Response.Body.FlushAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
