using Microsoft.Extensions.Logging;
using Tandem.Telemetry;

namespace Tandem.Server.Telemetry;

internal static partial class Log
{
    [LoggerMessage(EventIds.ConfigLoaded, LogLevel.Information, "Configuration {Path} loaded (version {Version}): {Providers} providers, {Deployments} deployments, {Routes} routes")]
    public static partial void ConfigLoaded(ILogger logger, string path, long version, int providers, int deployments, int routes);

    [LoggerMessage(EventIds.ConfigReloadFailed, LogLevel.Error, "Configuration {Path} changed but is invalid; keeping version {Version}. {Reason}")]
    public static partial void ConfigReloadFailed(ILogger logger, string path, long version, string reason);

    [LoggerMessage(EventIds.ConfigReloaded, LogLevel.Information, "Configuration {Path} reloaded (version {Version})")]
    public static partial void ConfigReloaded(ILogger logger, string path, long version);

    [LoggerMessage(EventIds.AuthDisabled, LogLevel.Warning, "Authentication is disabled (auth.disabled: true): any caller may use every route")]
    public static partial void AuthDisabled(ILogger logger);

    [LoggerMessage(EventIds.ConfigWarning, LogLevel.Warning, "Configuration {Path}: {Warning}")]
    public static partial void ConfigWarning(ILogger logger, string path, string warning);

    [LoggerMessage(EventIds.UpstreamFailed, LogLevel.Warning, "Request {RequestId}: deployment {Deployment} failed: {Error}")]
    public static partial void UpstreamFailed(ILogger logger, string requestId, string deployment, string error);

    [LoggerMessage(EventIds.UpstreamTimeout, LogLevel.Warning, "Request {RequestId}: deployment {Deployment} timed out ({Phase})")]
    public static partial void UpstreamTimeout(ILogger logger, string requestId, string deployment, string phase);

    [LoggerMessage(EventIds.StreamInterrupted, LogLevel.Warning, "Request {RequestId}: stream from {Deployment} broke after it started: {Error}")]
    public static partial void StreamInterrupted(ILogger logger, string requestId, string deployment, string error);

    [LoggerMessage(EventIds.ClientAborted, LogLevel.Debug, "Request {RequestId}: client went away; upstream call cancelled")]
    public static partial void ClientAborted(ILogger logger, string requestId);

    [LoggerMessage(EventIds.FallingBack, LogLevel.Information, "Request {RequestId}: {Deployment} failed ({Reason}); falling back to {Next}")]
    public static partial void FallingBack(ILogger logger, string requestId, string deployment, string reason, string next);

    [LoggerMessage(EventIds.UnhandledError, LogLevel.Error, "Request {RequestId}: unexpected error")]
    public static partial void UnhandledError(ILogger logger, string requestId, Exception exception);
}
