using Microsoft.AspNetCore.Http;
using Tandem.Server.Configuration;
using Tandem.Server.Proxy;
using Tandem.Storage;
using Tandem.Wire;

namespace Tandem.Server.Endpoints;

/// <summary>
/// The one gate of <c>/admin</c>: the admin key (<c>Authorization: Bearer</c> or <c>api-key</c>), else 401; and the one
/// place where a database that is down becomes a 503 <c>storage_unavailable</c> instead of an empty 500.
/// </summary>
internal sealed class AdminKeyFilter(GatewayState state) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var ctx = context.HttpContext;
        // The dashboard reads the admin API with its session cookie; changes go through /dashboard/api, which checks
        // the session's CSRF token, so a session opens GET requests here only.
        var dashboardRead = HttpMethods.IsGet(ctx.Request.Method) && Dashboard.DashboardAuth.Session(ctx) is not null;
        if (!dashboardRead && !state.Current.Keys.IsAdmin(RequestBody.PresentedKey(ctx.Request)))
        {
            await JsonResponses.ErrorAsync(ctx, 401, "The admin API needs the admin key.", ErrorTypes.InvalidRequest, null, "invalid_api_key").ConfigureAwait(false);
            return Results.Empty;
        }

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
