using System.Text.Json;
using Tandem.Access;
using Tandem.Configuration;
using Tandem.Runtime;

namespace Tandem.Server.Access;

/// <summary>
/// The body of <c>POST /admin/keys</c>, read and checked field by field: every problem becomes a 400 naming the field.
/// </summary>
internal sealed record KeyRequest
{
    private const int MaxName = 100;
    private const int MaxMetadata = 32;

    public required string Name { get; init; }

    public string? Owner { get; init; }

    public string? Team { get; init; }

    public AdminRole? Role { get; init; }

    public IReadOnlyList<string> Routes { get; init; } = ["*"];

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Reads the body; on failure returns null with the offending field and a message.</summary>
    public static KeyRequest? Parse(JsonElement body, GatewaySnapshot snapshot, DateTimeOffset now, out (string Param, string Message) problem)
    {
        problem = default;
        if (body.ValueKind != JsonValueKind.Object)
        {
            problem = ("body", "The body must be a JSON object such as {\"name\": \"team-a-app\"}.");
            return null;
        }

        string? name = null, owner = null, team = null, expiresIn = null;
        DateTimeOffset? expiresAt = null;
        AdminRole? role = null;
        var routes = new List<string>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in body.EnumerateObject())
        {
            switch (p.Name)
            {
                case "name" or "owner" or "team" or "expires_in" when p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null:
                    var text = p.Value.GetString();
                    switch (p.Name)
                    {
                        case "name":
                            name = text;
                            break;
                        case "owner":
                            owner = text;
                            break;
                        case "team":
                            team = text;
                            break;
                        default:
                            expiresIn = text;
                            break;
                    }

                    break;
                case "role" when p.Value.ValueKind == JsonValueKind.Null:
                    break;
                case "role" when p.Value.ValueKind == JsonValueKind.String && AdminRoles.TryParse(p.Value.GetString(), out var r):
                    role = r;
                    break;
                case "expires_at" when p.Value.ValueKind == JsonValueKind.Null:
                    break;
                case "expires_at" when p.Value.ValueKind == JsonValueKind.String && p.Value.TryGetDateTimeOffset(out var at):
                    expiresAt = at;
                    break;
                case "routes" when p.Value.ValueKind == JsonValueKind.Array && p.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String):
                    routes.AddRange(p.Value.EnumerateArray().Select(e => e.GetString()!));
                    break;
                case "metadata" when p.Value.ValueKind == JsonValueKind.Object && p.Value.EnumerateObject().All(e => e.Value.ValueKind == JsonValueKind.String):
                    foreach (var m in p.Value.EnumerateObject())
                    {
                        metadata[m.Name] = m.Value.GetString()!;
                    }

                    break;
                case "name" or "owner" or "team" or "expires_in" or "role" or "expires_at" or "routes" or "metadata":
                    problem = (p.Name, p.Name switch
                    {
                        "role" => "role must be one of viewer, operator, admin (or null for an API key).",
                        "expires_at" => "expires_at must be a date and time such as 2027-01-31T00:00:00Z.",
                        "routes" => "routes must be an array of route or deployment names.",
                        "metadata" => "metadata must be an object of string values.",
                        _ => $"{p.Name} must be a string.",
                    });
                    return null;
                default:
                    problem = (p.Name, $"Unknown field '{p.Name}'; known: name, owner, team, role, routes, metadata, expires_at, expires_in.");
                    return null;
            }
        }

        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxName)
        {
            problem = ("name", $"name is required (1 to {MaxName} characters).");
            return null;
        }

        if (team is { } t && string.IsNullOrWhiteSpace(t))
        {
            problem = ("team", "team must not be empty when given.");
            return null;
        }

        if (expiresIn is not null)
        {
            if (expiresAt is not null)
            {
                problem = ("expires_in", "Give expires_at or expires_in, not both.");
                return null;
            }

            if (!ConfigLoader.TryParseDuration(expiresIn, requireUnit: true, out var span) || span <= TimeSpan.Zero || span > TimeSpan.FromDays(3660))
            {
                problem = ("expires_in", $"'{expiresIn}' is not a duration such as 30d, 12h or 90m (longest 3660d).");
                return null;
            }

            expiresAt = now + span;
        }

        if (expiresAt is { } e && e <= now)
        {
            problem = ("expires_at", "expires_at is in the past.");
            return null;
        }

        if (metadata.Count > MaxMetadata)
        {
            problem = ("metadata", $"metadata holds at most {MaxMetadata} entries.");
            return null;
        }

        if (routes.Count == 0)
        {
            routes.Add("*");
        }

        if (role is not null && !(routes is ["*"]))
        {
            problem = ("routes", "An admin key (with a role) does not call routes; leave routes out.");
            return null;
        }

        foreach (var route in routes)
        {
            if (route != "*" && !snapshot.Routes.ContainsKey(route) && !snapshot.Deployments.ContainsKey(route))
            {
                problem = ("routes", $"'{route}' is neither a route nor a deployment of the current configuration.");
                return null;
            }
        }

        return new KeyRequest { Name = name, Owner = owner, Team = team, Role = role, Routes = routes, Metadata = metadata, ExpiresAt = expiresAt };
    }
}
