using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tandem.FunctionalTests.Infrastructure;

/// <summary>An upstream that answers every request with one recorded body, verbatim, in small writes.</summary>
public sealed class ReplayUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ReplayUpstream(WebApplication app, string v1)
    {
        _app = app;
        V1 = v1;
    }

    public string V1 { get; }

    public static async Task<ReplayUpstream> StartAsync(byte[] body, string contentType, int status = 200)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/v1/{**rest}", async ctx =>
        {
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = contentType;
            // Write in uneven pieces so event boundaries fall inside reads.
            var offset = 0;
            var size = 37;
            while (offset < body.Length)
            {
                var n = Math.Min(size, body.Length - offset);
                await ctx.Response.Body.WriteAsync(body.AsMemory(offset, n));
                await ctx.Response.Body.FlushAsync();
                offset += n;
                size = size == 37 ? 211 : 37;
            }
        });
        await app.StartAsync();
        return new ReplayUpstream(app, app.Urls.First().TrimEnd('/') + "/v1");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
