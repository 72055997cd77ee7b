using System.Net;
using System.Text.Json;
using System.Threading.RateLimiting;
using Tandem.Configuration;
using Tandem.Providers;
using Tandem.Runtime;

namespace Tandem.Upstream;

/// <summary>
/// A provider ready to be called: its protocol adapter, a pooled <see cref="SocketsHttpHandler"/>, its replicas,
/// timeouts and a concurrency limiter. Reused across configuration reloads while its settings are unchanged.
/// </summary>
public sealed class ProviderRuntime : IDisposable
{
    private readonly RandomSource _random;

    internal ProviderRuntime(ProviderConfig config, ProviderAdapters adapters, RandomSource random, Func<ProviderConfig, HttpMessageHandler>? handlerFactory = null, TimeProvider? time = null)
    {
        _random = random;
        Config = config;
        Name = config.Name;
        Credential = config.ApiKeyEnv is not null && Environment.GetEnvironmentVariable(config.ApiKeyEnv) is { Length: > 0 } secret ? secret : null;
        Adapter = adapters.Create(new ProviderAdapterContext(config, Credential) { Time = time ?? TimeProvider.System });
        BaseUrl = config.BaseUrl.TrimEnd('/');
        Endpoints = (config.Endpoints.Count > 0 ? config.Endpoints : [config.BaseUrl]).Select(u => new UpstreamEndpoint(u)).ToArray();
        PowerOfTwo = config.Balance == "p2c";
        ConfigFingerprint = Fingerprint(config);
        ConfigLoader.TryParseDuration(config.Timeouts.Connect, out var connect);
        ConfigLoader.TryParseDuration(config.Timeouts.FirstByte, out var firstByte);
        ConfigLoader.TryParseDuration(config.Timeouts.Total, out var total);
        ConfigLoader.TryParseDuration(config.Timeouts.Idle, out var idle);
        IdleTimeout = idle;
        ConnectTimeout = connect;
        FirstByteTimeout = firstByte;
        TotalTimeout = total;

        Invoker = new HttpMessageInvoker(handlerFactory?.Invoke(config) ?? PooledHandler(connect), disposeHandler: true);
        Limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = config.MaxConcurrency,
            QueueLimit = config.MaxQueue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>The provider's configuration.</summary>
    public ProviderConfig Config { get; }

    /// <summary>The provider's name.</summary>
    public string Name { get; }

    /// <summary>Speaks the provider's protocol.</summary>
    public IProviderAdapter Adapter { get; }

    /// <summary>The credential read from <c>api_key_env</c> (never logged; scrubbed from upstream text).</summary>
    internal string? Credential { get; }

    /// <summary>The base URL without a trailing slash.</summary>
    public string BaseUrl { get; }

    /// <summary>The replicas (one when only <c>base_url</c> is set).</summary>
    public IReadOnlyList<UpstreamEndpoint> Endpoints { get; }

    private bool PowerOfTwo { get; }

    /// <summary>
    /// Picks the replica for the next call: the available one with the fewest requests in flight, or for
    /// <c>p2c</c> the less busy of two drawn at random. When none is available, the least busy of all.
    /// </summary>
    public UpstreamEndpoint PickEndpoint(DateTimeOffset now)
    {
        var endpoints = Endpoints;
        if (endpoints.Count == 1)
        {
            return endpoints[0];
        }

        if (PowerOfTwo)
        {
            var a = endpoints[_random.Next(endpoints.Count)];
            var b = endpoints[_random.Next(endpoints.Count)];
            var aOk = a.IsAvailable(now);
            var bOk = b.IsAvailable(now);
            if (aOk != bOk)
            {
                return aOk ? a : b;
            }

            if (aOk || !endpoints.Any(e => e.IsAvailable(now)))
            {
                return a.Outstanding <= b.Outstanding ? a : b;
            }
        }

        UpstreamEndpoint? best = null;
        UpstreamEndpoint? fallback = null;
        var start = _random.Next(endpoints.Count);
        for (var i = 0; i < endpoints.Count; i++)
        {
            var e = endpoints[(start + i) % endpoints.Count];
            if (fallback is null || e.Outstanding < fallback.Outstanding)
            {
                fallback = e;
            }

            if (e.IsAvailable(now) && (best is null || e.Outstanding < best.Outstanding))
            {
                best = e;
            }
        }

        return best ?? fallback!;
    }

    /// <summary>Connect timeout.</summary>
    public TimeSpan ConnectTimeout { get; }

    /// <summary>Time allowed until response headers arrive.</summary>
    public TimeSpan FirstByteTimeout { get; }

    /// <summary>Time allowed for the whole exchange.</summary>
    public TimeSpan TotalTimeout { get; }

    /// <summary>Longest silence allowed between two chunks of a stream.</summary>
    public TimeSpan IdleTimeout { get; }

    /// <summary>The pooled HTTP invoker.</summary>
    public HttpMessageInvoker Invoker { get; }

    /// <summary>Bounds in-flight requests to the provider.</summary>
    public ConcurrencyLimiter Limiter { get; }

    internal string ConfigFingerprint { get; }

    private readonly CancellationTokenSource _stopping = new();
    private int _healthStarted;

    /// <summary>Starts the active health checks, if configured (idempotent).</summary>
    internal void StartHealthChecks()
    {
        if (Config.HealthCheck is null || Interlocked.Exchange(ref _healthStarted, 1) == 1)
        {
            return;
        }

        _ = Task.Run(() => HealthLoopAsync(Config.HealthCheck, _stopping.Token));
    }

    /// <summary>Checks every replica once now (also used by the periodic loop).</summary>
    public async Task CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var hc = Config.HealthCheck ?? new HealthCheckConfig();
        ConfigLoader.TryParseDuration(hc.Timeout, out var timeout);
        await Task.WhenAll(Endpoints.Select(async e =>
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            try
            {
                using var request = Adapter.CreateHealthCheck(e, hc.Path);
                using var response = await Invoker.SendAsync(request, cts.Token).ConfigureAwait(false);
                e.HealthCheckPassing = response.IsSuccessStatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                e.HealthCheckPassing = false;
            }
        })).ConfigureAwait(false);
    }

    private async Task HealthLoopAsync(HealthCheckConfig hc, CancellationToken cancellationToken)
    {
        ConfigLoader.TryParseDuration(hc.Interval, out var interval);
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                await CheckHealthAsync(cancellationToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        Invoker.Dispose();
        Limiter.Dispose();
    }

    /// <summary>Pooled connections; no proxy, redirects, cookies or decompression: a gateway relays bytes as they are.</summary>
    private static SocketsHttpHandler PooledHandler(TimeSpan connect) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = connect,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        EnableMultipleHttp2Connections = true,
        MaxConnectionsPerServer = int.MaxValue,
    };

    private static string Fingerprint(ProviderConfig config)
    {
        // The credential itself is part of the identity (a rotated key needs a new runtime), but only as a hash.
        var secret = config.ApiKeyEnv is null ? "" : Environment.GetEnvironmentVariable(config.ApiKeyEnv) ?? "";
        var secretHash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)));
        return JsonSerializer.Serialize(config, ConfigJsonContext.Default.ProviderConfig) + secretHash;
    }
}
