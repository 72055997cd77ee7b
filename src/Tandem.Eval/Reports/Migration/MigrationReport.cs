using System.Text.Json.Serialization;

namespace Tandem.Eval.Reports.Migration;

/// <summary>What one side of a migration served on the route in the window.</summary>
internal sealed record SideFigures
{
    public string Deployment { get; init; } = "";
    public long Requests { get; init; }
    public long Errors { get; init; }
    public decimal Cost { get; init; }

    /// <summary>p95 total latency of the deployment in the window, milliseconds; null without records.</summary>
    public double? P95Ms { get; init; }

    /// <summary>Cost ÷ requests × 1,000; null without requests.</summary>
    public decimal? CostPerThousand { get; init; }

    /// <summary>Errors ÷ requests; null without requests.</summary>
    public double? ErrorRate { get; init; }

    /// <summary>Its requests ÷ both sides' requests.</summary>
    public double TrafficShare { get; init; }
}

/// <summary>A stage of the migration and how long it lasted (until the next change, or until the report).</summary>
internal sealed record StageTime(string Stage, DateTimeOffset Entered, double Hours, string Trigger);

/// <summary>The migration success report: before (incumbent) and after (candidate), quality, and time in each stage.</summary>
internal sealed record MigrationReport
{
    public string Route { get; init; } = "";
    public string Stage { get; init; } = "";
    public DateTimeOffset From { get; init; }
    public DateTimeOffset To { get; init; }
    public SideFigures Before { get; init; } = new();
    public SideFigures After { get; init; } = new();

    /// <summary>After's cost per 1,000 minus before's; null when either is unknown.</summary>
    public decimal? CostPerThousandChange { get; init; }

    /// <summary>Shadow agreement of the latest gate evaluation.</summary>
    public double? Agreement { get; init; }

    /// <summary>Judge score of the latest gate evaluation.</summary>
    public double? JudgeScore { get; init; }
    public IReadOnlyList<StageTime> Stages { get; init; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(MigrationReport))]
internal sealed partial class MigrationReportJsonContext : JsonSerializerContext;
