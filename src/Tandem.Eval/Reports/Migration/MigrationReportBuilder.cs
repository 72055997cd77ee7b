using Tandem.Migration;

namespace Tandem.Eval.Reports.Migration;

/// <summary>Builds the migration success report from the route's usage per side, its stage changes and its latest gate evidence.</summary>
internal static class MigrationReportBuilder
{
    /// <param name="route">The route.</param>
    /// <param name="stage">Its stage now, as the admin API describes it.</param>
    /// <param name="before">The incumbent's requests, errors, cost and p95.</param>
    /// <param name="after">The candidate's.</param>
    /// <param name="events">The route's migration history, in any order; events without a target stage (drift) are skipped.</param>
    /// <param name="agreement">Shadow agreement of the latest evaluation.</param>
    /// <param name="judgeScore">Judge score of the latest evaluation.</param>
    /// <param name="from">Start of the window.</param>
    /// <param name="now">End of the window (the report's time).</param>
    public static MigrationReport Build(string route, string stage, SideFigures before, SideFigures after, IEnumerable<MigrationEvent> events,
        double? agreement, double? judgeScore, DateTimeOffset from, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(events);
        var total = before.Requests + after.Requests;
        SideFigures Complete(SideFigures s) => s with
        {
            CostPerThousand = s.Requests == 0 ? null : Math.Round(s.Cost / s.Requests * 1000m, 6),
            ErrorRate = s.Requests == 0 ? null : (double)s.Errors / s.Requests,
            TrafficShare = total == 0 ? 0 : (double)s.Requests / total,
        };

        var b = Complete(before);
        var a = Complete(after);
        var changes = events.Where(e => e.To is not null).OrderBy(e => e.Time).ThenBy(e => e.Id).ToList();
        var stages = changes.Select((e, i) => new StageTime(e.To!, e.Time,
            Math.Round(((i + 1 < changes.Count ? changes[i + 1].Time : now) - e.Time).TotalHours, 4), e.Trigger)).ToList();
        return new MigrationReport
        {
            Route = route,
            Stage = stage,
            From = from,
            To = now,
            Before = b,
            After = a,
            CostPerThousandChange = b.CostPerThousand is decimal x && a.CostPerThousand is decimal y ? y - x : null,
            Agreement = agreement,
            JudgeScore = judgeScore,
            Stages = stages,
        };
    }
}
