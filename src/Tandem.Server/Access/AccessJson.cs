using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tandem.Access;
using Tandem.Migration;

namespace Tandem.Server.Access;

/// <summary>How keys, audit entries and the audited state of objects are written as JSON (never a key's hash or secret, except the secret once at creation).</summary>
internal static class AccessJson
{
    public static void WriteKey(Utf8JsonWriter w, VirtualKey key, string? secret = null)
    {
        w.WriteStartObject();
        w.WriteString("id", key.Id);
        w.WriteString("name", key.Name);
        if (secret is not null)
        {
            w.WriteString("key", secret);
        }

        w.WriteString("prefix", key.Prefix);
        WriteNullable(w, "owner", key.Owner);
        WriteNullable(w, "team", key.Team);
        WriteNullable(w, "role", key.Role is { } role ? AdminRoles.Name(role) : null);
        w.WriteStartArray("routes");
        foreach (var r in key.Routes)
        {
            w.WriteStringValue(r);
        }

        w.WriteEndArray();
        w.WriteStartObject("metadata");
        foreach (var (k, v) in key.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            w.WriteString(k, v);
        }

        w.WriteEndObject();
        w.WriteString("created_at", key.CreatedAt);
        WriteNullable(w, "expires_at", key.ExpiresAt);
        WriteNullable(w, "revoked_at", key.RevokedAt);
        WriteNullable(w, "rotated_from", key.RotatedFrom);
        w.WriteEndObject();
    }

    public static void WriteAudit(Utf8JsonWriter w, AuditEntry e)
    {
        w.WriteStartObject();
        w.WriteNumber("id", e.Id);
        w.WriteString("time", e.Time);
        w.WriteString("actor", e.Actor);
        WriteNullable(w, "actor_key_id", e.ActorKeyId);
        w.WriteString("action", e.Action);
        WriteNullable(w, "object", e.Object);
        WriteRaw(w, "before", e.Before);
        WriteRaw(w, "after", e.After);
        w.WriteNumber("status", e.Status);
        WriteNullable(w, "request_id", e.RequestId);
        w.WriteEndObject();
    }

    public static void WriteMigration(Utf8JsonWriter w, MigrationState s)
    {
        w.WriteStartObject();
        w.WriteString("route", s.Route);
        w.WriteString("incumbent", s.Incumbent);
        w.WriteString("candidate", s.Candidate);
        w.WriteString("stage", s.Stage.ToString().ToLowerInvariant());
        w.WriteNumber("canary_step", s.CanaryStep);
        w.WriteBoolean("pinned", s.Pinned);
        w.WriteNumber("version", s.Version);
        w.WriteEndObject();
    }

    /// <summary>Runs <paramref name="write"/> into a string.</summary>
    public static string ToJson(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            w.WriteString(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    /// <summary>Stored state is JSON this gateway wrote; it is embedded as JSON, not as a string.</summary>
    private static void WriteRaw(Utf8JsonWriter w, string name, string? json)
    {
        w.WritePropertyName(name);
        if (json is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteRawValue(json, skipInputValidation: false);
        }
    }

    public static string Iso(DateTimeOffset t) => t.ToString("O", CultureInfo.InvariantCulture);
}
