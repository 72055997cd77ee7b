namespace Tandem.Upstream;

/// <summary>One replica of a provider: its base URL, requests in flight, and health.</summary>
public sealed class UpstreamEndpoint
{
    private int _outstanding;
    private long _ejectedUntilTicks;

    internal UpstreamEndpoint(string baseUrl)
    {
        BaseUrl = baseUrl.TrimEnd('/');
        ChatUri = new Uri(BaseUrl + "/chat/completions");
        CompletionsUri = new Uri(BaseUrl + "/completions");
        EmbeddingsUri = new Uri(BaseUrl + "/embeddings");
    }

    // OpenAI-compatible URLs do not depend on the model: built once, not per request.
    internal Uri ChatUri { get; }

    internal Uri CompletionsUri { get; }

    internal Uri EmbeddingsUri { get; }

    /// <summary>The replica's base URL without a trailing slash.</summary>
    public string BaseUrl { get; }

    /// <summary>Requests in flight to this replica.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>Result of the last active health check (true until one fails).</summary>
    public bool HealthCheckPassing { get; internal set; } = true;

    /// <summary>When a passive failure (connect error) last took the replica out of rotation.</summary>
    public DateTimeOffset? EjectedUntil => Volatile.Read(ref _ejectedUntilTicks) is var t and > 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    /// <summary>Whether the replica may take traffic at <paramref name="now"/>.</summary>
    public bool IsAvailable(DateTimeOffset now) => HealthCheckPassing && Volatile.Read(ref _ejectedUntilTicks) <= now.UtcTicks;

    internal void Enter() => Interlocked.Increment(ref _outstanding);

    internal void Leave() => Interlocked.Decrement(ref _outstanding);

    /// <summary>Takes the replica out of rotation until <paramref name="until"/> after a connect failure.</summary>
    public void Eject(DateTimeOffset until) => Volatile.Write(ref _ejectedUntilTicks, until.UtcTicks);
}
