using Microsoft.Extensions.Logging;

namespace Tandem.Server.Dashboard;

/// <summary>An action taken from the dashboard: who, when, what, on what, and how it ended.</summary>
/// <param name="Time">When.</param>
/// <param name="Principal">Who.</param>
/// <param name="Action">What, e.g. <c>migration.rollback</c>.</param>
/// <param name="Target">On what, e.g. the route.</param>
/// <param name="Outcome"><c>ok</c>, or why it was refused.</param>
public sealed record AdminAction(DateTimeOffset Time, DashboardPrincipal Principal, string Action, string Target, string Outcome);

/// <summary>
/// Where dashboard actions are recorded: the one method an audit log implements to take them. The default writes a
/// log event (and the migration history names the principal as the change's trigger).
/// </summary>
public interface IAdminActionLog
{
    /// <summary>Records one action.</summary>
    ValueTask RecordAsync(AdminAction action, CancellationToken cancellationToken = default);
}

/// <summary>Records dashboard actions as log events.</summary>
internal sealed partial class LoggingAdminActionLog(ILoggerFactory loggers) : IAdminActionLog
{
    private readonly ILogger _logger = loggers.CreateLogger("Tandem.Dashboard");

    public ValueTask RecordAsync(AdminAction action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        LogAction(_logger, action.Principal.Name, action.Principal.Role, action.Action, action.Target, action.Outcome, action.Time);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = Tandem.Telemetry.EventIds.DashboardAction, EventName = "DashboardAction", Level = LogLevel.Information,
        Message = "dashboard action by {Principal} ({Role}): {Action} {Target} → {Outcome} at {Time:O}")]
    private static partial void LogAction(ILogger logger, string principal, string role, string action, string target, string outcome, DateTimeOffset time);
}

/// <summary>
/// Records dashboard actions in the audit log (who, what, on what, how it ended) as well as a log event, so that every
/// admin action — through the admin API or the dashboard — is in the one append-only audit log (issue 16).
/// </summary>
internal sealed class AuditingAdminActionLog(ILoggerFactory loggers, Tandem.Access.IAuditLog audit) : IAdminActionLog
{
    private readonly LoggingAdminActionLog _log = new(loggers);

    public async ValueTask RecordAsync(AdminAction action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        await _log.RecordAsync(action, cancellationToken).ConfigureAwait(false);
        await audit.AppendAsync(new Tandem.Access.AuditEntry
        {
            Time = action.Time,
            Actor = "dashboard:" + action.Principal.Name,
            Action = "dashboard." + action.Action,
            Object = action.Target,
            After = null,
            Status = action.Outcome == "ok" ? 200 : 403,
        }, CancellationToken.None).ConfigureAwait(false);
    }
}
