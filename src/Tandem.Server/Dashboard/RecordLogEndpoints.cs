using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tandem.Server.Endpoints;
using Tandem.Storage;

namespace Tandem.Server.Dashboard;

/// <summary>
/// <c>GET /admin/records</c>: the request log, newest first, in keyset pages (<c>limit</c>, <c>after</c> = the previous
/// page's <c>next</c>), filtered by <c>route</c>, <c>deployment</c>, <c>key</c>, <c>status</c>, <c>failed</c>,
/// <c>id</c> and a time range (<c>from</c>, <c>to</c>: ISO 8601). <c>GET /admin/latency</c>: latency percentiles of a
/// window (<c>since</c>, default 24h) for one deployment or all.
/// </summary>
internal static class RecordLogEndpoints
{
    public static void Map(IEndpointRouteBuilder admin)
    {
        admin.MapGet("/records", static (HttpContext ctx, IRecordSearch search) => ListAsync(ctx, search));
        admin.MapGet("/latency", static (HttpContext ctx, IRecordSearch search, TimeProvider time) => LatencyAsync(ctx, search, time));
    }

    private static async Task ListAsync(HttpContext ctx, IRecordSearch search)
    {
        var q = ctx.Request.Query;
        string? Text(string name) => q[name].ToString() is { Length: > 0 } v ? v : null;
        var query = new RecordQuery { Route = Text("route"), Deployment = Text("deployment"), Key = Text("key"), RequestId = Text("id") };

        if (Text("limit") is { } l)
        {
            if (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit is < 1 or > RecordQuery.MaxLimit)
            {
                await JsonResponses.BadRequestAsync(ctx, "limit", $"limit must be a whole number from 1 to {RecordQuery.MaxLimit}.").ConfigureAwait(false);
                return;
            }

            query = query with { Limit = limit };
        }

        if (Text("status") is { } s)
        {
            if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status is < 100 or > 599)
            {
                await JsonResponses.BadRequestAsync(ctx, "status", $"'{s}' is not an HTTP status (100–599).").ConfigureAwait(false);
                return;
            }

            query = query with { Status = status };
        }

        if (Text("failed") is { } f)
        {
            if (!bool.TryParse(f, out var failed))
            {
                await JsonResponses.BadRequestAsync(ctx, "failed", "failed must be true or false.").ConfigureAwait(false);
                return;
            }

            query = query with { Failed = failed };
        }

        foreach (var name in (string[])["from", "to"])
        {
            if (Text(name) is { } t)
            {
                if (!DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                {
                    await JsonResponses.BadRequestAsync(ctx, name, $"'{t}' is not a time such as 2026-11-20T12:00:00Z.").ConfigureAwait(false);
                    return;
                }

                query = name == "from" ? query with { From = at } : query with { To = at };
            }
        }

        if (Text("after") is { } a)
        {
            if (!RecordCursor.TryParse(a, out var cursor))
            {
                await JsonResponses.BadRequestAsync(ctx, "after", "after must be the 'next' of a previous page.").ConfigureAwait(false);
                return;
            }

            query = query with { After = cursor };
        }

        var page = await search.ListAsync(query, ctx.RequestAborted).ConfigureAwait(false);
        await JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("records");
            foreach (var r in page.Records)
            {
                w.WriteStartObject();
                w.WriteString("time", r.Time);
                w.WriteString("id", r.Id);
                w.WriteString("operation", r.Operation);
                w.WriteString("key", r.Key);
                w.WriteString("route", r.Route);
                w.WriteString("deployment", r.Deployment);
                w.WriteString("decision", r.Decision);
                w.WriteNumber("status", r.Status);
                w.WriteString("error", r.Error);
                w.WriteNumber("attempts", r.Attempts);
                w.WriteNumber("total_ms", r.TotalMs);
                w.WriteNumber("prompt_tokens", r.PromptTokens);
                w.WriteNumber("completion_tokens", r.CompletionTokens);
                w.WriteNumber("cost", r.Cost);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("next", page.Next?.ToString());
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static async Task LatencyAsync(HttpContext ctx, IRecordSearch search, TimeProvider time)
    {
        var q = ctx.Request.Query;
        if (!CostReportQuery.TryParseSince(q["since"].ToString() is { Length: > 0 } s ? s : "1d", out var since))
        {
            await JsonResponses.BadRequestAsync(ctx, "since", $"'{q["since"]}' is not a window such as 30d, 12h or 90m.").ConfigureAwait(false);
            return;
        }

        var now = time.GetUtcNow();
        var deployment = q["deployment"].ToString() is { Length: > 0 } d ? d : null;
        var latency = await search.LatencyAsync(now - since, now.AddMilliseconds(1), deployment, ctx.RequestAborted).ConfigureAwait(false);
        await JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("deployment", deployment);
            w.WriteNumber("count", latency?.Count ?? 0);
            if (latency is null)
            {
                w.WriteNull("p50_ms");
                w.WriteNull("p95_ms");
                w.WriteNull("p99_ms");
            }
            else
            {
                w.WriteNumber("p50_ms", latency.P50Ms);
                w.WriteNumber("p95_ms", latency.P95Ms);
                w.WriteNumber("p99_ms", latency.P99Ms);
            }

            w.WriteEndObject();
        }).ConfigureAwait(false);
    }
}
