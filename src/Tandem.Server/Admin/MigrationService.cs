using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Configuration;
using Tandem.Migration;
using Tandem.Server.Configuration;

namespace Tandem.Server.Admin;

/// <summary>
/// Starts the migration coordinator (resuming stored stages), evaluates gates on each route's
/// <c>evaluate_every</c>, warns about deployments close to retirement, and drains shadow calls on shutdown.
/// </summary>
internal sealed partial class MigrationService : BackgroundService
{
    private readonly MigrationCoordinator _migrations;
    private readonly GatewayState _state;
    private readonly TimeProvider _time;
    private readonly ILogger<MigrationService> _logger;

    public MigrationService(MigrationCoordinator migrations, GatewayState state, TimeProvider time, ILogger<MigrationService> logger)
    {
        _migrations = migrations;
        _state = state;
        _time = time;
        _logger = logger;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await _migrations.StartAsync(cancellationToken).ConfigureAwait(false);
        WarnAboutRetirements();
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var every = _state.Current.Routes.Values
                .Select(r => r.Config.Migration is { } m && ConfigLoader.TryParseDuration(m.EvaluateEvery, out var d) ? d : TimeSpan.FromSeconds(30))
                .DefaultIfEmpty(TimeSpan.FromSeconds(30))
                .Min();
            try
            {
                await Task.Delay(every, _time, stoppingToken).ConfigureAwait(false);
                await _migrations.EvaluateAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The store may be down: serving goes on, and the next tick tries again.
                LogEvaluationFailed(_logger, e);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await _migrations.DisposeAsync().ConfigureAwait(false);
    }

    private void WarnAboutRetirements()
    {
        var today = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
        foreach (var route in _state.Current.Routes.Values)
        {
            foreach (var d in route.Policy.AllDeployments)
            {
                if (RetirementTable.For(d.UpstreamModel, d.Config.Retires) is { } r && r.Retires.DayNumber - today.DayNumber <= 90)
                {
                    LogRetiring(_logger, route.Name, d.Name, d.UpstreamModel, r.Retires.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), r.Retires.DayNumber - today.DayNumber);
                }
            }
        }
    }

    [LoggerMessage(50, LogLevel.Error, "Migration gate evaluation failed")]
    private static partial void LogEvaluationFailed(ILogger logger, Exception exception);

    [LoggerMessage(51, LogLevel.Warning, "Route {Route} depends on deployment {Deployment} ({Model}), which its provider retires on {Date} ({Days} days)")]
    private static partial void LogRetiring(ILogger logger, string route, string deployment, string model, string date, int days);
}
