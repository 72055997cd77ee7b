using Microsoft.Extensions.Logging;
using Tandem.Telemetry;

namespace Tandem.Limits;

/// <summary>Log messages of budgets and rate limits.</summary>
internal static partial class LimitLog
{
    [LoggerMessage(EventIds.LimitStoreFailed, LogLevel.Warning, "Limit store unreachable; requests are {Policy} until it answers: {Error}")]
    public static partial void StoreFailed(ILogger logger, string policy, string error);

    [LoggerMessage(EventIds.LimitStoreRecovered, LogLevel.Information, "Limit store answers again; counting in the shared store")]
    public static partial void StoreRecovered(ILogger logger);

    [LoggerMessage(EventIds.LimitAlert, LogLevel.Warning, "Budget alert: {Limit} reached {Threshold}% ({Used} of {Cap})")]
    public static partial void Alert(ILogger logger, string limit, int threshold, string used, string cap);

    [LoggerMessage(EventIds.LimitSettleFailed, LogLevel.Warning, "Could not settle the usage of a request in the limit store: {Error}")]
    public static partial void SettleFailed(ILogger logger, string error);

    [LoggerMessage(EventIds.LimitWebhookFailed, LogLevel.Warning, "Budget alert webhook failed after retries: {Error}")]
    public static partial void WebhookFailed(ILogger logger, string error);
}
