using System.Globalization;
using Tandem.Configuration;
using Tandem.Eval.Routing;
using Tandem.Server.Adapters;
using Tandem.Storage;

namespace Tandem.Cli.Commands;

/// <summary>
/// The training data of <c>tandem router train --from-records</c>: a route's shadow pairs (a migration's candidate
/// answered beside the incumbent) and the prompts its records captured, read from the gateway's database (SQLite or
/// PostgreSQL) through <see cref="RouterTrainingQuery"/>.
/// </summary>
internal static class RouterRecordsSource
{
    /// <summary>The examples, or a message saying why there are none (printed as a usage or data error).</summary>
    public static async Task<(List<RouterExample>? Examples, string Message)> ReadAsync(string configPath, string route, string? since, double minJudgeScore, CancellationToken cancellationToken)
    {
        var now = TimeProvider.System.GetUtcNow();
        if (!CostReportQuery.TryParseSince(since, out var window))
        {
            return (null, $"--since '{since}' is not a window (30d, 12h, 90m)");
        }

        TandemConfig config;
        try
        {
            var adapters = await RegisteredAdapters.ReadAsync(configPath, cancellationToken).ConfigureAwait(false);
            config = ConfigLoader.LoadFile(configPath, ConfigUse.Tool, null, c => Tandem.Adapters.AdapterDeployments.Extend(c, adapters));
        }
        catch (ConfigException e)
        {
            return (null, e.Message);
        }

        var routeConfig = config.Routes.FirstOrDefault(r => r.Name == route);
        if (routeConfig is null)
        {
            return (null, $"'{route}' is not a route of {configPath}");
        }

        IReadOnlyList<ShadowOutcome> rows;
        var database = StorageFactory.Open(config.Storage, Path.GetDirectoryName(Path.GetFullPath(configPath))!);
        await using (database.ConfigureAwait(false))
        {
            try
            {
                await database.MigrateAsync(cancellationToken).ConfigureAwait(false);
                rows = await RouterTrainingQuery.ReadAsync(database, route, now - window, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (StorageErrors.IsUnavailable(e))
            {
                return (null, $"the database at {database.Where} cannot be read: {e.Message}");
            }
        }

        var (examples, counts) = RecordOutcomes.Build([.. rows.Select(r => new RecordedVerdict(r.PromptJson, r.Agree, r.JudgeScore, r.Failed))], minJudgeScore);
        var c = CultureInfo.InvariantCulture;
        var summary = $"{counts.Pairs.ToString(c)} shadow pairs of route {route}: {counts.WeakGood.ToString(c)} weak good enough (agreed, or judged >= {minJudgeScore.ToString(c)}), "
            + $"{counts.WeakNotGood.ToString(c)} not; left out: {counts.NoPrompt.ToString(c)} without prompt text, {counts.Failed.ToString(c)} failed, {counts.NoVerdict.ToString(c)} without a verdict";
        if (counts.Pairs == 0)
        {
            return (null, $"route '{route}' has no shadow pairs since {(now - window).ToString("u", c)}: run a migration (stage shadow) on it with capture: full, or widen --since");
        }

        if (examples.Count == 0 && counts.NoPrompt > 0)
        {
            return (null, summary + $". Records hold prompt text only when the route captures content: set capture: full (or redacted) on route '{route}' while its migration shadows");
        }

        return (examples, summary);
    }
}
