using Tandem.Records;

namespace Tandem.Storage;

/// <summary>Kinds of strings in the dictionary table. Stored as numbers: never renumber.</summary>
internal enum DictionaryKind : byte
{
    Key = 1,
    Route = 2,
    Deployment = 3,
    Decision = 4,
    Error = 5,
    FinishReason = 6,
    Model = 7,
    Fingerprint = 8,
    EndUser = 9,
}

/// <summary>Record flags column bits.</summary>
[Flags]
internal enum RecordFlags
{
    None = 0,
    Stream = 1,
    TokensEstimated = 2,
    HasAttempts = 4,
    HasContent = 8,
}

/// <summary>Conversions between a <see cref="RequestRecord"/> and its stored columns.</summary>
internal static class RecordColumns
{
    public const long DayMs = 86_400_000;

    public static readonly string[] Records =
    [
        "time_ms", "request_id", "operation", "key_id", "route_id", "deployment_id", "decision_id", "flags", "status", "error_id",
        "attempt_count", "attempt_status", "attempt_error_id", "attempt_us", "overhead_us", "upstream_us", "ttft_us", "total_us",
        "prompt_tokens", "cached_tokens", "completion_tokens", "reasoning_tokens", "cost_nanos", "finish_id", "model_id",
        "fingerprint_id", "end_user_id", "tags",
    ];

    public static readonly string[] Attempts = ["request_id", "time_ms", "seq", "deployment_id", "status", "error_id", "latency_us"];

    public static readonly string[] Contents = ["request_id", "time_ms", "prompt", "response", "key_id"];

    public static short Operation(string operation) => operation switch
    {
        "chat" => 0,
        "completions" => 1,
        "embeddings" => 2,
        _ => 3,
    };

    public static string Operation(long code) => code switch
    {
        0 => "chat",
        1 => "completions",
        2 => "embeddings",
        _ => "other",
    };

    public static int Micros(double ms) => ms <= 0 || double.IsNaN(ms) ? 0 : ms * 1000 >= int.MaxValue ? int.MaxValue : (int)Math.Round(ms * 1000);

    public static long Nanos(decimal dollars) => (long)Math.Round(dollars * 1_000_000_000m, MidpointRounding.AwayFromZero);

    public static decimal Dollars(long nanos) => nanos / 1_000_000_000m;

    public static RecordFlags FlagsOf(RequestRecord r)
    {
        var flags = RecordFlags.None;
        if (r.Stream)
        {
            flags |= RecordFlags.Stream;
        }

        if (r.TokensEstimated)
        {
            flags |= RecordFlags.TokensEstimated;
        }

        if (r.Attempts.Count > 1)
        {
            flags |= RecordFlags.HasAttempts;
        }

        if (r.PromptContent is not null || r.ResponseContent is not null)
        {
            flags |= RecordFlags.HasContent;
        }

        return flags;
    }

    public static DateOnly Day(long timeMs) => DateOnly.FromDayNumber((int)(timeMs / DayMs) + DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber);

    public static int DayNumber(DateTimeOffset time) => (int)(time.ToUnixTimeMilliseconds() / DayMs);

    public static int DayNumber(DateOnly day) => day.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
}
