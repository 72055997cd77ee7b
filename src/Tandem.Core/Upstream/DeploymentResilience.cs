using System.Text.Json;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Tandem.Configuration;

namespace Tandem.Upstream;

/// <summary>
/// Retries and circuit breaker of one deployment, as a Polly v8 pipeline over <see cref="CallOutcome"/>
/// (an HTTP try or an in-process client's: one breaker per deployment whichever carries its calls):
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
        BreakDuration = breakFor < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : breakFor;

        var builder = new ResiliencePipelineBuilder<CallOutcome> { TimeProvider = time, Name = deployment };
        if (config.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<CallOutcome>
            {
                MaxRetryAttempts = config.Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = backoff,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } call && FailureClassifier.IsTransient(call)
                    && !(call.RetryAfter > maxRetryAfter)),
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
            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<CallOutcome>
            {
                FailureRatio = config.Breaker.FailureRatio,
                MinimumThroughput = config.Breaker.MinThroughput,
                SamplingDuration = window < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : window,
                BreakDuration = breakFor < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : breakFor,
                // Rate limiting is not ill health: 429s go to the next deployment but do not open the breaker.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } call && FailureClassifier.CountsAgainstBreaker(call)),
                StateProvider = _state,
                ManualControl = _control,
            });
        }

        Pipeline = builder.Build();
    }

    /// <summary>The deployment's name.</summary>
    public string Deployment { get; }

    /// <summary>The pipeline to execute each try through.</summary>
    internal ResiliencePipeline<CallOutcome> Pipeline { get; }

    /// <summary>How long an opened breaker stays open before a probe.</summary>
    public TimeSpan BreakDuration { get; }

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
