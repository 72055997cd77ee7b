using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tandem.Migration;
using Tandem.Server.Endpoints;
using Tandem.Storage;

namespace Tandem.Server.Dashboard;

/// <summary>
/// The quality page's series: per route with a migration, shadow agreement and mean judge score per UTC day over the
/// last <see cref="Days"/> days (from the shadow samples). The page reads the gates, top disagreements and gate
/// evaluation runs from <c>GET /admin/migrations</c>.
/// </summary>
internal static class DashboardQuality
{
    public const int Days = 14;

    public static async Task WriteAsync(HttpContext ctx)
    {
        var services = ctx.RequestServices;
        var migrations = services.GetRequiredService<IMigrationStore>();
        var quality = services.GetRequiredService<IQualitySearch>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var ct = ctx.RequestAborted;
        var firstDay = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-(Days - 1));
        var from = new DateTimeOffset(firstDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var routes = new List<(MigrationState State, IReadOnlyList<ShadowDay> Days)>();
        foreach (var state in (await migrations.ListAsync(ct).ConfigureAwait(false)).OrderBy(s => s.Route, StringComparer.Ordinal))
        {
            routes.Add((state, await quality.ShadowDaysAsync(state.Route, from, now.AddMilliseconds(1), ct).ConfigureAwait(false)));
        }

        await JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("from", from);
            w.WriteStartArray("routes");
            foreach (var (state, days) in routes)
            {
                w.WriteStartObject();
                w.WriteString("route", state.Route);
                w.WriteString("incumbent", state.Incumbent);
                w.WriteString("candidate", state.Candidate);
                w.WriteStartArray("days");
                foreach (var d in days)
                {
                    w.WriteStartObject();
                    w.WriteString("day", d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                    w.WriteNumber("samples", d.Samples);
                    w.WriteNumber("compared", d.Compared);
                    w.WriteNumber("agreed", d.Agreed);
                    if (d.Agreement is { } a)
                    {
                        w.WriteNumber("agreement", a);
                    }
                    else
                    {
                        w.WriteNull("agreement");
                    }

                    w.WriteNumber("judged", d.Judged);
                    if (d.MeanJudgeScore is { } j)
                    {
                        w.WriteNumber("judge_score", j);
                    }
                    else
                    {
                        w.WriteNull("judge_score");
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }
}
