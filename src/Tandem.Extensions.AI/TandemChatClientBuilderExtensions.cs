using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Tandem.Extensions.AI;

namespace Microsoft.Extensions.AI;

/// <summary>Adds Tandem to a <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class TandemChatClientBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="TandemChatClient"/>: calls through the pipeline are routed, retried, failed over, shadowed
    /// and recorded by Tandem, with the builder's inner client serving <see cref="TandemChatClientOptions.InnerDeployment"/>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="options">The configuration, deployments and storage. Loggers and meters not set there come from the builder's services.</param>
    /// <returns>The <paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseTandem(this ChatClientBuilder builder, TandemChatClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.Use((inner, services) => new TandemChatClient(inner, options,
            options.LoggerFactory ?? services.GetService(typeof(ILoggerFactory)) as ILoggerFactory,
            options.MeterFactory ?? services.GetService(typeof(IMeterFactory)) as IMeterFactory));
    }

    /// <summary>Adds a <see cref="TandemChatClient"/> configured by <paramref name="configure"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The <paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseTandem(this ChatClientBuilder builder, Action<TandemChatClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new TandemChatClientOptions();
        configure(options);
        return builder.UseTandem(options);
    }
}
