using System.Text.Json;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Tandem.Configuration;

namespace Tandem.Runtime;

/// <summary>
/// The outcome of one try of one deployment up to its response headers. Never an exception for an upstream
/// failure: connect errors and timeouts are values (<see cref="Error"/>), so Polly's strategies and the fallback
/// chain decide from results without exceptions on the hot path.
/// </summary>
public sealed class UpstreamCall : IDisposable
{
    private UpstreamEndpoint? _endpoint;

    internal UpstreamCall(UpstreamEndpoint endpoint, CancellationTokenSource cts)
    {
        _endpoint = endpoint;
        endpoint.Enter();
        Cancellation = cts;
    }

    /// <summary>The replica called.</summary>
    public UpstreamEndpoint Endpoint => _endpoint!;

    /// <summary>Cancels the rest of the exchange (client abort, timeouts).</summary>
    public CancellationTokenSource Cancellation { get; }

    /// <summary>The response, when headers arrived.</summary>
    public HttpResponseMessage? Response { get; set; }

    /// <summary>HTTP status, 0 when no response.</summary>
    public int Status => Response is null ? 0 : (int)Response.StatusCode;

    /// <summary><c>connect</c> or <c>timeout</c> when no response came.</summary>
    public string? Error { get; set; }

    /// <summary>The upstream's Retry-After, when it sent one.</summary>
    public TimeSpan? RetryAfter
    {
        get
        {
            var ra = Response?.Headers.RetryAfter;
            if (ra is null)
            {
                return null;
            }

            if (ra.Delta is { } delta)
            {
                return delta;
            }

            return ra.Date is { } date ? date - DateTimeOffset.UtcNow : null;
        }
    }

    /// <summary>A failure that another try (or deployment) may fix: no response, 5xx, 429.</summary>
    public bool IsTransientFailure => Error is not null || Status >= 500 || Status == 429;

    /// <inheritdoc />
    public void Dispose()
    {
        Response?.Dispose();
        Cancellation.Dispose();
        Interlocked.Exchange(ref _endpoint, null)?.Leave();
    }
}

/// <summary>
/// Retries and circuit breaker of one deployment, as a Polly v8 pipeline over <see cref="UpstreamCall"/>:
/// jittered exponential retries (honouring a short Retry-After) outside a circuit breaker that opens on the
/// failure ratio over a sampling window and lets half-open probes through after its break. Survives reloads
/// while the deployment's resilience settings stay the same, so a reload does not close an open breaker.
/// </summary>
public sealed class DeploymentResilience
{
    private readonly CircuitBreakerStateProvider _state = new();
    private readonly CircuitBreakerManualControl _control = new();

    internal DeploymentResilience(string deployment, ResilienceConfig config, TimeProvider time)
    {
        Deployment = deployment;
        Fingerprint = JsonSerializer.Serialize(config, ConfigJsonContext.Default.ResilienceConfig);
        ConfigLoader.TryParseDuration(config.RetryBackoff, out var backoff);
        ConfigLoader.TryParseDuration(config.MaxRetryAfter, out var maxRetryAfter);
        ConfigLoader.TryParseDuration(config.Breaker.Window, out var window);
        ConfigLoader.TryParseDuration(config.Breaker.BreakFor, out var breakFor);
        MaxRetryAfter = maxRetryAfter;

        var builder = new ResiliencePipelineBuilder<UpstreamCall> { TimeProvider = time, Name = deployment };
        if (config.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<UpstreamCall>
            {
                MaxRetryAttempts = config.Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = backoff,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } call && call.IsTransientFailure
                    && !(call.Status == 429 && call.RetryAfter > maxRetryAfter)),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result?.RetryAfter is { } ra && ra > TimeSpan.Zero ? (TimeSpan?)ra : null),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }

        if (config.Breaker.Enabled)
        {
            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<UpstreamCall>
            {
                FailureRatio = config.Breaker.FailureRatio,
                MinimumThroughput = config.Breaker.MinThroughput,
                SamplingDuration = window < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : window,
                BreakDuration = breakFor < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : breakFor,
                // Rate limiting is not ill health: 429s go to the next deployment but do not open the breaker.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } call && (call.Error is not null || call.Status >= 500)),
                StateProvider = _state,
                ManualControl = _control,
            });
        }

        Pipeline = builder.Build();
    }

    /// <summary>The deployment's name.</summary>
    public string Deployment { get; }

    /// <summary>The pipeline to execute each try through.</summary>
    public ResiliencePipeline<UpstreamCall> Pipeline { get; }

    /// <summary>Longest Retry-After that is waited out on this deployment.</summary>
    public TimeSpan MaxRetryAfter { get; }

    /// <summary>The breaker's state: closed, open, half-open or isolated.</summary>
    public CircuitState BreakerState => _state.CircuitState;

    /// <summary>Whether the breaker currently refuses calls.</summary>
    public bool IsOpen => _state.CircuitState is CircuitState.Open or CircuitState.Isolated;

    /// <summary>Holds the breaker open (maintenance) until <see cref="CloseAsync"/>.</summary>
    public Task IsolateAsync() => _control.IsolateAsync();

    /// <summary>Closes the breaker.</summary>
    public Task CloseAsync() => _control.CloseAsync();

    internal string Fingerprint { get; }
}
