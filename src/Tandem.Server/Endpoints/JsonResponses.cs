using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tandem.Server.Proxy;
using Tandem.Wire;

namespace Tandem.Server.Endpoints;

/// <summary>How Tandem's own endpoints answer: JSON written with <see cref="Utf8JsonWriter"/>, errors in OpenAI's shape.</summary>
internal static class JsonResponses
{
    public static void WriteError(Utf8JsonWriter w, string message, string type, string? param, string? code) =>
        OpenAiError.Write(w, message, type, param, code);

    public static Task ErrorAsync(HttpContext ctx, int status, string message, string type, string? param, string? code) =>
        WriteJsonAsync(ctx, status, w => WriteError(w, message, type, param, code));

    public static Task BadRequestAsync(HttpContext ctx, string param, string message) =>
        ErrorAsync(ctx, 400, message, ErrorTypes.InvalidRequest, param, "invalid_parameter");

    /// <summary>503 <c>storage_unavailable</c> for an admin request that needs the database while it is down.</summary>
    public static Task StorageUnavailableAsync(HttpContext ctx, Exception e) =>
        ErrorAsync(ctx, 503, "Storage is unreachable: " + e.Message, ErrorTypes.Server, null, "storage_unavailable");

    public static async Task WriteJsonAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        await WriteBytesAsync(ctx, status, buffer.WrittenMemory).ConfigureAwait(false);
    }

    public static async Task WriteBytesAsync(HttpContext ctx, int status, ReadOnlyMemory<byte> json)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = json.Length;
        if (!ctx.Response.Headers.ContainsKey("x-request-id"))
        {
            ctx.Response.Headers["x-request-id"] = RequestIds.From(ctx.Request.Headers["x-request-id"]);
        }

        await ctx.Response.Body.WriteAsync(json, ctx.RequestAborted).ConfigureAwait(false);
    }
}
