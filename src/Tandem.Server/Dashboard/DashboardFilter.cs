using Microsoft.AspNetCore.Http;
using Tandem.Server.Endpoints;
using Tandem.Storage;
using Tandem.Wire;

namespace Tandem.Server.Dashboard;

/// <summary>
/// The gate of <c>/dashboard/api</c> (except sign-in): a live session, else 401; on every request that is not a
/// GET or HEAD, its CSRF token too, else 403 <c>csrf_token_invalid</c>. A database that is down becomes a 503.
/// </summary>
internal sealed class DashboardFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var ctx = context.HttpContext;
        var session = DashboardAuth.Session(ctx);
        if (session is null)
        {
            await JsonResponses.ErrorAsync(ctx, 401, "Sign in to the dashboard with the admin key.", ErrorTypes.InvalidRequest, null, "not_signed_in").ConfigureAwait(false);
            return Results.Empty;
        }

        if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method) && !DashboardAuth.HasCsrfToken(ctx, session))
        {
            await JsonResponses.ErrorAsync(ctx, 403, $"This action needs the session's CSRF token in the {DashboardAuth.CsrfHeader} header.", ErrorTypes.InvalidRequest, null, "csrf_token_invalid").ConfigureAwait(false);
            return Results.Empty;
        }

        ctx.Items[typeof(DashboardSession)] = session;
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (StorageErrors.IsUnavailable(e) && !ctx.Response.HasStarted)
        {
            await JsonResponses.StorageUnavailableAsync(ctx, e).ConfigureAwait(false);
            return Results.Empty;
        }
    }
}
