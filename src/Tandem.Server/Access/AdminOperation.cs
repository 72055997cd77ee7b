using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tandem.Access;

namespace Tandem.Server.Access;

/// <summary>
/// What one admin endpoint is: the least role that may call it, the audit action name and the kind of object it acts
/// on (its first route value names the object: <c>route:chat</c>, <c>key:vk_…</c>). An endpoint may carry one as
/// metadata (<c>.WithMetadata(new AdminOperation(…))</c>); otherwise <see cref="AdminOperations.Table"/> names it by
/// method and route pattern. An endpoint with neither is refused to every role but admin (closed by default), and the
/// table test over every mapped endpoint fails until it is named.
/// </summary>
internal sealed record AdminOperation(AdminRole Role, string Action, string? ObjectKind = null)
{
    /// <summary>Whether the operation changes something (and is therefore audited).</summary>
    public bool Mutates { get; init; } = true;
}

/// <summary>The role and audit name of every built-in admin endpoint, by method and route pattern.</summary>
internal static class AdminOperations
{
    private static AdminOperation Read(string action) => new(AdminRole.Viewer, action) { Mutates = false };

    /// <summary>Every built-in admin endpoint: method, route pattern, operation.</summary>
    public static IReadOnlyDictionary<(string Method, string Pattern), AdminOperation> Table { get; } = new Dictionary<(string, string), AdminOperation>
    {
        // Viewer: reads.
        [("GET", "/admin/config")] = Read("config.read"),
        [("GET", "/admin/deployments")] = Read("deployments.read"),
        [("GET", "/admin/costs")] = Read("costs.read"),
        [("GET", "/admin/records/{id}")] = Read("record.read"),
        [("GET", "/admin/feedback/{requestId}")] = Read("feedback.read"),
        [("GET", "/admin/adapters")] = Read("adapters.read"),
        [("GET", "/admin/migrations")] = Read("migrations.read"),
        [("GET", "/admin/migrations/{route}")] = Read("migration.read"),
        [("GET", "/admin/keys")] = Read("keys.read"),
        [("GET", "/admin/keys/{id}")] = Read("key.read"),
        [("GET", "/admin/audit")] = Read("audit.read"),
        [("GET", "/admin/records")] = Read("records.read"),
        [("GET", "/admin/latency")] = Read("latency.read"),

        // Operator: migrations and deployments.
        [("POST", "/admin/migrations/{route}/start")] = new(AdminRole.Operator, "migration.start", "route"),
        [("POST", "/admin/migrations/{route}/advance")] = new(AdminRole.Operator, "migration.advance", "route"),
        [("POST", "/admin/migrations/{route}/rollback")] = new(AdminRole.Operator, "migration.rollback", "route"),
        [("POST", "/admin/migrations/{route}/pin")] = new(AdminRole.Operator, "migration.pin", "route"),
        [("POST", "/admin/migrations/{route}/evaluate")] = new(AdminRole.Operator, "migration.evaluate", "route"),
        [("POST", "/admin/deployments/{name}/isolate")] = new(AdminRole.Operator, "deployment.isolate", "deployment"),
        [("POST", "/admin/deployments/{name}/close")] = new(AdminRole.Operator, "deployment.close", "deployment"),
        [("POST", "/admin/adapters/sync")] = new(AdminRole.Operator, "adapters.sync"),

        // Admin: keys and configuration.
        [("POST", "/admin/reload")] = new(AdminRole.Admin, "config.reload", "config"),
        [("POST", "/admin/adapters")] = new(AdminRole.Admin, "adapter.register", "adapter"),
        [("DELETE", "/admin/adapters/{name}")] = new(AdminRole.Admin, "adapter.unregister", "adapter"),
        [("POST", "/admin/keys")] = new(AdminRole.Admin, "key.create", "key"),
        [("POST", "/admin/keys/{id}/rotate")] = new(AdminRole.Admin, "key.rotate", "key"),
        [("POST", "/admin/keys/{id}/revoke")] = new(AdminRole.Admin, "key.revoke", "key"),
        [("DELETE", "/admin/keys/{id}")] = new(AdminRole.Admin, "key.revoke", "key"),
        [("POST", "/admin/records/erase")] = new(AdminRole.Admin, "records.erase", "end_user"),
    };

    /// <summary>The operation of the endpoint serving <paramref name="ctx"/>: its metadata, else the table; null when neither names it.</summary>
    public static AdminOperation? Of(HttpContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var endpoint = ctx.GetEndpoint();
        return endpoint?.Metadata.GetMetadata<AdminOperation>()
            ?? (endpoint is RouteEndpoint route ? Find(ctx.Request.Method, route.RoutePattern.RawText) : null);
    }

    /// <summary>The table's operation for a method and route pattern.</summary>
    public static AdminOperation? Find(string method, string? pattern) =>
        pattern is not null && Table.TryGetValue((method, "/" + pattern.TrimStart('/')), out var op) ? op : null;

    /// <summary>The object an operation acts on in this request (<c>kind:first route value</c>), or the kind alone.</summary>
    public static string? ObjectOf(AdminOperation op, HttpContext ctx)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(ctx);
        if (op.ObjectKind is null)
        {
            return null;
        }

        var value = ctx.Request.RouteValues.Values.OfType<string>().FirstOrDefault();
        return value is null ? op.ObjectKind : op.ObjectKind + ":" + value;
    }
}
