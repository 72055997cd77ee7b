using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Tandem.Runtime;
using Tandem.Telemetry;

namespace Tandem.Migration;

/// <summary>
/// Keeps model retirement dates current without a release: providers whose model listing (OpenAI's
/// <c>GET /v1/models</c>) carries <c>shutdown_date</c> are asked now and then, and what they say is preferred to the
/// shipped table (a deployment's configured <c>retires:</c> still wins).
/// </summary>
public sealed partial class LifecycleWatch
{
    private readonly ConcurrentDictionary<(string Provider, string Model), (DateOnly Date, DateTimeOffset Read)> _listed = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the watch.</summary>
    public LifecycleWatch(TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
    }

    /// <summary>The retirement of a deployment: configured, else announced by its provider, else the shipped table.</summary>
    public Retirement? For(DeploymentRuntime deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        if (deployment.Config.Retires is not null)
        {
            return RetirementTable.For(deployment.UpstreamModel, deployment.Config.Retires);
        }

        return _listed.TryGetValue((deployment.Provider.Name, deployment.UpstreamModel), out var listed)
            ? new Retirement(deployment.UpstreamModel, listed.Date, $"{deployment.Provider.Name} model listing, read {listed.Read.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}")
            : RetirementTable.For(deployment.UpstreamModel, null);
    }

    /// <summary>Asks every provider with a model listing (first replica, its health-check timeout); failures are logged and skipped.</summary>
    public async Task RefreshAsync(GatewaySnapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        foreach (var provider in snapshot.Providers.Values)
        {
            using var request = provider.Adapter.CreateModelListing(provider.Endpoints[0]);
            if (request is null)
            {
                continue;
            }

            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cts.CancelAfter(TimeSpan.FromSeconds(10));
                using var response = await provider.Invoker.SendAsync(request, cts.Token).ConfigureAwait(false);
                var body = await response.Content.ReadAsByteArrayAsync(cts.Token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode || !ModelListing.TryRead(body, out var models))
                {
                    continue;
                }

                var now = _time.GetUtcNow();
                foreach (var model in models)
                {
                    if (model.ShutdownDate is not { } date)
                    {
                        continue;
                    }

                    var key = (provider.Name, model.Id);
                    if (!_listed.TryGetValue(key, out var known) || known.Date != date)
                    {
                        LogAnnounced(_logger, provider.Name, model.Id, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                    }

                    _listed[key] = (date, now);
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // A provider that does not answer keeps what was read before; the next refresh tries again.
            }
        }
    }

    [LoggerMessage(EventIds.LifecycleUpdated, LogLevel.Information, "Provider {Provider} announces that model {Model} shuts down on {Date}")]
    private static partial void LogAnnounced(ILogger logger, string provider, string model, string date);
}
