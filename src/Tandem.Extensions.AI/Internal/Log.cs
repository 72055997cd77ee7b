using Microsoft.Extensions.Logging;
using Tandem.Telemetry;

namespace Tandem.Extensions.AI.Internal;

/// <summary>Log messages of the in-process client's request path (ids from Tandem's one table).</summary>
internal static partial class Log
{
    [LoggerMessage(EventIds.StreamInterrupted, LogLevel.Warning, "Request {RequestId}: stream from {Deployment} interrupted: {Error}")]
    public static partial void StreamInterrupted(ILogger logger, string requestId, string deployment, string error);

    [LoggerMessage(EventIds.UnhandledError, LogLevel.Error, "Request {RequestId}: unhandled error in the in-process client")]
    public static partial void UnhandledError(ILogger logger, string requestId, Exception exception);
}
