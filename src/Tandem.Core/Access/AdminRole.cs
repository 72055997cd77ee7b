namespace Tandem.Access;

/// <summary>
/// What an admin key may do. Each role includes the ones below it: a viewer reads, an operator also moves
/// migrations and isolates deployments, an admin also manages keys and configuration.
/// </summary>
public enum AdminRole
{
    /// <summary>Reads the admin API (status, records, costs, keys without secrets, the audit log).</summary>
    Viewer = 1,

    /// <summary>Also advances, rolls back and pins migrations, evaluates gates, isolates and closes deployments.</summary>
    Operator = 2,

    /// <summary>Also creates, rotates and revokes keys, reloads the configuration and registers adapters.</summary>
    Admin = 3,
}

/// <summary>The wire names of <see cref="AdminRole"/> (<c>viewer</c>, <c>operator</c>, <c>admin</c>).</summary>
public static class AdminRoles
{
    /// <summary>The lower-case name of a role.</summary>
    public static string Name(AdminRole role) => role switch
    {
        AdminRole.Viewer => "viewer",
        AdminRole.Operator => "operator",
        AdminRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "unknown admin role"),
    };

    /// <summary>Parses <c>viewer</c>, <c>operator</c> or <c>admin</c> (exact, lower case).</summary>
    public static bool TryParse(string? name, out AdminRole role)
    {
        role = name switch
        {
            "viewer" => AdminRole.Viewer,
            "operator" => AdminRole.Operator,
            "admin" => AdminRole.Admin,
            _ => 0,
        };
        return role != 0;
    }
}
