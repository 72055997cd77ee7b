using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Providers;

namespace Tandem.Runtime;

/// <summary>
/// What a snapshot's runtime objects are built with: the clock, loggers, the provider types it can speak and the
/// source of random choices. The gateway and the in-process client pass their own; tests pass fakes.
/// </summary>
public sealed record RuntimeServices
{
    /// <summary>Defaults: the system clock, no logging, the built-in provider types, an unseeded random source.</summary>
    public static RuntimeServices Default { get; } = new();

    /// <summary>The clock (breakers, ejection, Retry-After dates, health checks).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Loggers.</summary>
    public ILoggerFactory Logging { get; init; } = NullLoggerFactory.Instance;

    /// <summary>The provider types the snapshot can speak.</summary>
    public ProviderAdapters Adapters { get; init; } = ProviderAdapters.BuiltIn;

    /// <summary>
    /// Builds the HTTP handler of a provider; null builds the pooled <see cref="SocketsHttpHandler"/> a gateway uses.
    /// For tests that exercise the seam without sockets, and for hosts that bring their own handler (a proxy, mTLS).
    /// </summary>
    public Func<Configuration.ProviderConfig, HttpMessageHandler>? HttpHandler { get; init; }

    /// <summary>
    /// Finds a sentence encoder by name for encoder router models (<c>tiers.scorer: model</c> with a head file); null
    /// when the host provides none (then such a model is a configuration error naming the encoder).
    /// </summary>
    public Func<string, Routing.Learned.ISentenceEncoder?>? SentenceEncoders { get; init; }

    /// <summary>The source of sampled decisions.</summary>
    public RandomSource Random { get; init; } = RandomSource.Shared;

    /// <summary>The instance's virtual keys (made through the admin API), consulted after the configuration's keys; null: none.</summary>
    public Access.VirtualKeyTable? VirtualKeys { get; init; }
}
