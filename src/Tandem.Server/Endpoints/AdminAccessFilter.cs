using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tandem.Access;
using Tandem.Runtime;
using Tandem.Server.Access;
using Tandem.Server.Configuration;
using Tandem.Server.Proxy;
using Tandem.Storage;
using Tandem.Wire;

namespace Tandem.Server.Endpoints;

/// <summary>Who is calling the admin API, and what an endpoint says it acted on (set by endpoints that create objects).</summary>
internal sealed class AdminCaller(GatewayKey key)
{
    public GatewayKey Key { get; } = key;

    /// <summary>The object acted on, when the endpoint learns it only while acting (a created key's id).</summary>
    public string? Object { get; set; }

    /// <summary>The state after, when the endpoint knows it better than the object's description (a rotation names both keys).</summary>
    public string? After { get; set; }
}

/// <summary>
/// The one gate of <c>/admin</c>:
/// <code>
///   admin key? --no--> 401
///       | role &lt; endpoint's role? --yes--> 403 (audited when the endpoint changes something)
///       v
///   reads: run --> (503 when storage is down)
///   changes: state before --> run --> state after --> audit entry (who, what, object, before, after, status)
/// </code>
/// The endpoint's role and action come from <see cref="AdminOperations"/>; an endpoint it does not name needs the
/// admin role. The audit entry is written even when the client has gone away.
/// </summary>
internal sealed partial class AdminAccessFilter(GatewayState state, IAuditLog audit, AuditState describe, TimeProvider time, ILogger<AdminAccessFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var ctx = context.HttpContext;
        var key = state.Current.Keys.AuthenticateAdmin(RequestBody.PresentedKey(ctx.Request));
        if (key is null && HttpMethods.IsGet(ctx.Request.Method) && Dashboard.DashboardAuth.Session(ctx) is not null)
        {
            // The dashboard reads the admin API with its session cookie, as a viewer; its changes go through
            // /dashboard/api, which checks the session's CSRF token.
            key = GatewayKey.DashboardReader;
        }

        if (key is null)
        {
            await JsonResponses.ErrorAsync(ctx, 401, "The admin API needs the admin key.", ErrorTypes.InvalidRequest, null, "invalid_api_key").ConfigureAwait(false);
            return Results.Empty;
        }

        var op = AdminOperations.Of(ctx) ?? new AdminOperation(AdminRole.Admin, ctx.Request.Method + " " + ctx.Request.Path);
        var caller = new AdminCaller(key) { Object = AdminOperations.ObjectOf(op, ctx) };
        ctx.Features.Set(caller);
        string? before = null;
        try
        {
            if ((key.Role ?? 0) < op.Role)
            {
                await JsonResponses.ErrorAsync(ctx, 403,
                    $"This admin key has the role {AdminRoles.Name(key.Role ?? AdminRole.Viewer)}; {op.Action} needs {AdminRoles.Name(op.Role)}.",
                    ErrorTypes.InvalidRequest, null, "permission_denied").ConfigureAwait(false);
                return Results.Empty;
            }

            if (op.Mutates)
            {
                before = await describe.DescribeAsync(caller.Object, ctx.RequestAborted).ConfigureAwait(false);
            }

            return await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (StorageErrors.IsUnavailable(e) && !ctx.Response.HasStarted)
        {
            await JsonResponses.StorageUnavailableAsync(ctx, e).ConfigureAwait(false);
            return Results.Empty;
        }
        catch (Tandem.Privacy.ContentKeyException e) when (!ctx.Response.HasStarted)
        {
            // Stored content whose key is not configured (privacy.encryption): say which key, never a crash.
            await JsonResponses.ErrorAsync(ctx, 500, e.Message, ErrorTypes.Server, null, "content_key_unavailable").ConfigureAwait(false);
            return Results.Empty;
        }
        finally
        {
            if (op.Mutates)
            {
                await AuditAsync(ctx, caller, op, before).ConfigureAwait(false);
            }
        }
    }

    private async Task AuditAsync(HttpContext ctx, AdminCaller caller, AdminOperation op, string? before)
    {
        try
        {
            // Not the request's token: an admin action that happened is recorded even if its caller left.
            var after = caller.After ?? (ctx.Response.StatusCode < 400 ? await describe.DescribeAsync(caller.Object, CancellationToken.None).ConfigureAwait(false) : before);
            await audit.AppendAsync(new AuditEntry
            {
                Time = time.GetUtcNow(),
                Actor = caller.Key.Name,
                ActorKeyId = caller.Key.Id,
                Action = op.Action,
                Object = caller.Object,
                Before = before,
                After = after,
                Status = ctx.Response.StatusCode,
                RequestId = ctx.Response.Headers["x-request-id"].ToString() is { Length: > 0 } id ? id : null,
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (StorageErrors.IsUnavailable(e))
        {
            LogAuditFailed(logger, op.Action, caller.Object ?? "-", caller.Key.Name, e.Message);
        }
    }

    [LoggerMessage(Tandem.Telemetry.EventIds.AuditWriteFailed, LogLevel.Error, "Admin action {Action} on {Object} by {Actor} could not be written to the audit log: {Reason}")]
    private static partial void LogAuditFailed(ILogger logger, string action, string @object, string actor, string reason);
}
