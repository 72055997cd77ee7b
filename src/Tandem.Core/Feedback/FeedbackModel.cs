namespace Tandem.Feedback;

/// <summary>How a rating was given: thumbs (up or down) or a 1–5 scale.</summary>
public enum RatingScale
{
    /// <summary>No rating, only a correction or a comment.</summary>
    None,

    /// <summary>Thumbs up or down.</summary>
    Thumbs,

    /// <summary>1 (worst) to 5 (best).</summary>
    Stars,
}

/// <summary>
/// One user's feedback on one request: a rating, a correction (the right answer or label), a comment. Several per
/// request are kept, each with its time and author; feedback never changes the request's record.
/// </summary>
public sealed record FeedbackEntry
{
    /// <summary>Storage id (0 until stored); increases with every feedback.</summary>
    public long Id { get; init; }

    /// <summary>The request rated: the <c>x-request-id</c> Tandem returned.</summary>
    public required string RequestId { get; init; }

    /// <summary>When the feedback arrived.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>The gateway key's name that sent it (the same key that made the request).</summary>
    public required string Author { get; init; }

    /// <summary>The request's route (copied from its record), null for a deployment named directly.</summary>
    public string? Route { get; init; }

    /// <summary>The deployment that served the request (copied from its record).</summary>
    public string? Deployment { get; init; }

    /// <summary>How <see cref="Rating"/> reads.</summary>
    public RatingScale Scale { get; init; }

    /// <summary>Thumbs: 1 up, 0 down; stars: 1–5; null without a rating.</summary>
    public int? Rating { get; init; }

    /// <summary>The right answer (or label) according to the user.</summary>
    public string? Correction { get; init; }

    /// <summary>Free text.</summary>
    public string? Comment { get; init; }

    /// <summary>The end user who gave it.</summary>
    public string? EndUser { get; init; }

    /// <summary>Client tags.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>The conversation (an OpenAI <c>messages</c> array as JSON) sent with the feedback when the route did not capture it.</summary>
    public string? Messages { get; init; }

    /// <summary>The answer sent with the feedback when the route did not capture it.</summary>
    public string? Answer { get; init; }

    /// <summary>The rating on one 1–5 scale: thumbs up 5, down 1; null without a rating.</summary>
    public int? Score => Scale switch
    {
        RatingScale.Thumbs => Rating == 1 ? 5 : 1,
        RatingScale.Stars => Rating,
        _ => null,
    };
}

/// <summary>Where feedback is kept (<c>tandem_feedback</c>, schema version 3).</summary>
public interface IFeedbackStore
{
    /// <summary>Stores one feedback; returns it with its id.</summary>
    Task<FeedbackEntry> AddAsync(FeedbackEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Every feedback on a request, oldest first.</summary>
    Task<IReadOnlyList<FeedbackEntry>> ForRequestAsync(string requestId, CancellationToken cancellationToken = default);

    /// <summary>Feedback on a route's requests given at or after <paramref name="since"/>, oldest first.</summary>
    Task<IReadOnlyList<FeedbackEntry>> ForRouteAsync(string route, DateTimeOffset since, CancellationToken cancellationToken = default);
}
