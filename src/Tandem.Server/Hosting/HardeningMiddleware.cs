using Microsoft.AspNetCore.Http;
using Tandem.Server.Configuration;
using Tandem.Server.Endpoints;
using Tandem.Wire;

namespace Tandem.Server.Hosting;

/// <summary>
/// The first checks of every request: a head larger than <c>server.max_header_bytes</c> gets an OpenAI-shaped 431
/// (Kestrel's own limit is set above it, so that only heads far past it meet Kestrel's bare 431); with
/// <c>server.admin_port</c>, <c>/admin</c> is served only on the admin port and the admin port serves nothing else
/// but the probes and <c>/metrics</c>.
/// </summary>
internal sealed class HardeningMiddleware(RequestDelegate next, GatewayState state, Listeners? listeners = null)
{
    public Task InvokeAsync(HttpContext ctx)
    {
        var limit = state.Current.Config.Server.MaxHeaderBytes;
        if (HeadBytes(ctx.Request) > limit)
        {
            return JsonResponses.ErrorAsync(ctx, 431, $"Request headers exceed the gateway's limit of {limit} bytes.", ErrorTypes.InvalidRequest, null, "request_header_fields_too_large");
        }

        if (listeners is { HasAdminPort: true })
        {
            var path = ctx.Request.Path;
            var admin = path.StartsWithSegments("/admin", StringComparison.Ordinal);
            var onAdminPort = Listeners.IsAdminConnection(ctx);
            var allowed = onAdminPort
                ? admin || path.StartsWithSegments("/healthz", StringComparison.Ordinal) || path.StartsWithSegments("/readyz", StringComparison.Ordinal) || path.StartsWithSegments("/metrics", StringComparison.Ordinal)
                : !admin;
            if (!allowed)
            {
                // As if the endpoint did not exist here: a scanner of the public port learns nothing of the admin API.
                return JsonResponses.ErrorAsync(ctx, 404, $"Unknown endpoint {ctx.Request.Method} {path}.", ErrorTypes.InvalidRequest, null, "unknown_url");
            }
        }

        return next(ctx);
    }

    /// <summary>Bytes of the header lines as sent (name, ": ", value, CRLF), without the request line.</summary>
    private static long HeadBytes(HttpRequest request)
    {
        long total = 0;
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                total += name.Length + 4 + (value?.Length ?? 0);
            }
        }

        return total;
    }
}
