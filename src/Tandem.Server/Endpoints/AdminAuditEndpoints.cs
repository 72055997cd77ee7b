using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tandem.Access;
using Tandem.Configuration;
using Tandem.Server.Access;

namespace Tandem.Server.Endpoints;

/// <summary>
/// <c>GET /admin/audit</c>: the audit log, newest first, filtered by time (<c>since</c>, <c>until</c>: a window such as
/// <c>24h</c> or a date and time), <c>actor</c> and <c>object</c>, paged with <c>limit</c> (1–1000, default 100) and
/// <c>before</c> (the <c>next_before</c> of the previous page).
/// </summary>
internal static class AdminAuditEndpoints
{
    public static void Map(IEndpointRouteBuilder admin) =>
        admin.MapGet("/audit", static (HttpContext ctx, IAuditLog audit, TimeProvider time) => ListAsync(ctx, audit, time));

    private static async Task ListAsync(HttpContext ctx, IAuditLog audit, TimeProvider time)
    {
        var q = ctx.Request.Query;
        var now = time.GetUtcNow();
        if (!TryTime(q["since"], now, out var since))
        {
            await JsonResponses.BadRequestAsync(ctx, "since", $"'{q["since"]}' is neither a window such as 24h or 7d nor a date and time such as 2026-12-01T00:00:00Z.").ConfigureAwait(false);
            return;
        }

        if (!TryTime(q["until"], now, out var until))
        {
            await JsonResponses.BadRequestAsync(ctx, "until", $"'{q["until"]}' is neither a window such as 24h or 7d nor a date and time such as 2026-12-01T00:00:00Z.").ConfigureAwait(false);
            return;
        }

        var limit = 100;
        if (q["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            await JsonResponses.BadRequestAsync(ctx, "limit", "limit must be a whole number from 1 to 1000.").ConfigureAwait(false);
            return;
        }

        long? before = null;
        if (q["before"].ToString() is { Length: > 0 } b)
        {
            if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                await JsonResponses.BadRequestAsync(ctx, "before", "before must be an entry id from a previous page's next_before.").ConfigureAwait(false);
                return;
            }

            before = id;
        }

        var entries = await audit.QueryAsync(new AuditQuery
        {
            Since = since,
            Until = until,
            Actor = q["actor"].ToString() is { Length: > 0 } a ? a : null,
            Object = q["object"].ToString() is { Length: > 0 } o ? o : null,
            Before = before,
            Limit = limit,
        }, ctx.RequestAborted).ConfigureAwait(false);
        await JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("entries");
            foreach (var e in entries)
            {
                AccessJson.WriteAudit(w, e);
            }

            w.WriteEndArray();
            if (entries.Count == limit)
            {
                w.WriteNumber("next_before", entries[^1].Id);
            }
            else
            {
                w.WriteNull("next_before");
            }

            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>Absent, a window back from now (<c>24h</c>), or a date and time.</summary>
    private static bool TryTime(string? text, DateTimeOffset now, out DateTimeOffset? at)
    {
        at = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (ConfigLoader.TryParseDuration(text, requireUnit: true, out var window) && window > TimeSpan.Zero && window <= TimeSpan.FromDays(3660))
        {
            at = now - window;
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            at = t;
            return true;
        }

        return false;
    }
}
