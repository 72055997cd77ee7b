using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Migration;
using Tandem.Server.Configuration;
using Tandem.Telemetry;

namespace Tandem.Server.Hosting;

/// <summary>
/// Keeps retirement dates current (providers' model listings, every six hours) and warns about routes that depend on
/// a deployment retiring within 90 days — not about one a finished migration has left.
/// </summary>
internal sealed partial class LifecycleService : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromHours(6);
    private readonly LifecycleWatch _lifecycle;
    private readonly MigrationCoordinator _migrations;
    private readonly GatewayState _state;
    private readonly TimeProvider _time;
    private readonly ILogger<LifecycleService> _logger;

    public LifecycleService(LifecycleWatch lifecycle, MigrationCoordinator migrations, GatewayState state, TimeProvider time, ILogger<LifecycleService> logger)
    {
        _lifecycle = lifecycle;
        _migrations = migrations;
        _state = state;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _lifecycle.RefreshAsync(_state.Current, stoppingToken).ConfigureAwait(false);
                WarnAboutRetirements();
                await Task.Delay(Every, _time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void WarnAboutRetirements()
    {
        var today = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
        foreach (var route in _state.Current.Routes.Values)
        {
            var finished = _migrations.States.TryGetValue(route.Name, out var migration) && migration.Stage == MigrationStage.Full ? migration : null;
            foreach (var d in route.Policy.AllDeployments)
            {
                if (finished is not null && d.Name == finished.Incumbent && !route.Config.Fallbacks.Contains(d.Name))
                {
                    // The route left this deployment for good: its retirement is no longer the route's concern.
                    continue;
                }

                if (_lifecycle.For(d) is { } r && r.Retires.DayNumber - today.DayNumber <= 90)
                {
                    LogRetiring(_logger, route.Name, d.Name, d.UpstreamModel, r.Retires.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), r.Retires.DayNumber - today.DayNumber, r.Source);
                }
            }
        }
    }

    [LoggerMessage(EventIds.RetirementNear, LogLevel.Warning, "Route {Route} depends on deployment {Deployment} ({Model}), which its provider retires on {Date} ({Days} days; {Source})")]
    private static partial void LogRetiring(ILogger logger, string route, string deployment, string model, string date, int days, string source);
}
