namespace Tandem.Storage;

/// <summary>Shadow comparisons and judge scores of a route's migration over time (the dashboard's quality page).</summary>
public interface IQualitySearch
{
    /// <summary>
    /// Per UTC day with shadow samples of <paramref name="route"/> with <c>from ≤ time &lt; to</c>, oldest first: samples,
    /// compared pairs (both sides answered), agreeing pairs, judged samples and their mean judge score.
    /// </summary>
    Task<IReadOnlyList<ShadowDay>> ShadowDaysAsync(string route, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);
}

/// <summary>One day of a route's shadow samples.</summary>
/// <param name="Day">The UTC day.</param>
/// <param name="Samples">Samples taken.</param>
/// <param name="Compared">Samples whose two answers were compared (agree is not null).</param>
/// <param name="Agreed">Compared samples that agree.</param>
/// <param name="Judged">Samples with a judge score.</param>
/// <param name="MeanJudgeScore">Mean judge score (1–5) of the judged samples, null when none.</param>
public sealed record ShadowDay(DateOnly Day, long Samples, long Compared, long Agreed, long Judged, double? MeanJudgeScore)
{
    /// <summary>Agreed ÷ compared, null when nothing was compared.</summary>
    public double? Agreement => Compared == 0 ? null : (double)Agreed / Compared;
}
