using Microsoft.AspNetCore.Http;
using Tandem.Buffers;

namespace Tandem.Server.Proxy;

/// <summary>Reading what a client sent: its key and its body, bounded.</summary>
internal static class RequestBody
{
    /// <summary>The key a client presented: <c>Authorization: Bearer KEY</c>, or Azure-style <c>api-key: KEY</c>.</summary>
    public static ReadOnlySpan<char> PresentedKey(HttpRequest request)
    {
        var auth = request.Headers.Authorization;
        if (auth.Count == 1)
        {
            var value = auth[0].AsSpan().Trim();
            if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return value[7..].Trim();
            }
        }

        var apiKey = request.Headers["api-key"];
        return apiKey.Count == 1 ? apiKey[0].AsSpan().Trim() : default;
    }

    /// <summary>Reads the body into <paramref name="body"/>; false (having read no further) when it exceeds <paramref name="limit"/> bytes.</summary>
    public static async Task<bool> ReadAsync(HttpContext ctx, PooledBufferWriter body, long limit)
    {
        if (ctx.Request.ContentLength > limit)
        {
            return false;
        }

        var reader = ctx.Request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(ctx.RequestAborted).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (body.WrittenCount + buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.End);
                return false;
            }

            foreach (var segment in buffer)
            {
                body.Write(segment.Span);
            }

            reader.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                return true;
            }
        }
    }
}
