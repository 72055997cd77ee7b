using Microsoft.Extensions.Logging;

namespace Tandem.Telemetry;

/// <summary>Log messages of Core's request-path components (the upstream seam and the fallback chain).</summary>
internal static partial class UpstreamLog
{
    [LoggerMessage(EventIds.UpstreamFailed, LogLevel.Warning, "Request {RequestId}: deployment {Deployment} failed: {Error}")]
    public static partial void UpstreamFailed(ILogger logger, string requestId, string deployment, string error);

    [LoggerMessage(EventIds.FallingBack, LogLevel.Information, "Request {RequestId}: {Deployment} failed ({Reason}); falling back to {Next}")]
    public static partial void FallingBack(ILogger logger, string requestId, string deployment, string reason, string next);
}
