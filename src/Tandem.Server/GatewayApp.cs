using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Configuration;
using Tandem.Migration;
using Tandem.Records;
using Tandem.Server.Configuration;
using Tandem.Server.Proxy;
using Tandem.Wire;

namespace Tandem.Server;

/// <summary>How to start a gateway.</summary>
public sealed record GatewayAppOptions
{
    /// <summary>The configuration file (YAML or JSON).</summary>
    public required string ConfigPath { get; init; }

    /// <summary>Listen addresses; null takes <c>server.urls</c> from the configuration, else <c>http://127.0.0.1:8080</c>.</summary>
    public string? Urls { get; init; }

    /// <summary>Reload the configuration when its file changes.</summary>
    public bool WatchConfig { get; init; } = true;

    /// <summary>Extra logging provider (tests).</summary>
    public ILoggerProvider? LoggerProvider { get; init; }

    /// <summary>Minimum log level.</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;

    /// <summary>Provider types beyond the built-in ones (a protocol adapter per type); null: the built-in ones.</summary>
    public Providers.ProviderAdapters? Adapters { get; init; }

    /// <summary>The source of sampled decisions (shadow and judge sampling, replica choice); null: seeded by <c>server.random_seed</c>, else unseeded.</summary>
    public Runtime.RandomSource? Random { get; init; }

    /// <summary>
    /// Finds sentence encoders by name for encoder router models (<c>tandem serve</c> passes all-MiniLM-L6-v2 from
    /// Tandem.Routing.Encoder); null serves linear router models only.
    /// </summary>
    public Func<string, Routing.Learned.ISentenceEncoder?>? SentenceEncoders { get; init; }

    /// <summary>The clock of the gateway (time windows of rules, breakers, records, migrations); null: the system clock.</summary>
    public TimeProvider? Time { get; init; }
}

/// <summary>Builds and runs the Tandem gateway: Kestrel, the OpenAI-compatible endpoints and the admin surface.</summary>
public sealed class GatewayApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private Hosting.Listeners? _listeners;

    private GatewayApp(WebApplication app, GatewayState state)
    {
        _app = app;
        State = state;
    }

    /// <summary>The configuration holder.</summary>
    public GatewayState State { get; }

    /// <summary>Services of the running host.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The first listening address, e.g. <c>http://127.0.0.1:8080/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The first address of the admin port (<c>server.admin_port</c>), null when /admin is on the main port.</summary>
    public Uri? AdminAddress { get; private set; }

    /// <summary>Loads the configuration (throwing <see cref="Tandem.Configuration.ConfigException"/> when invalid) and builds the host.</summary>
    public static GatewayApp Create(GatewayAppOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // One logger factory for the snapshot's runtime objects and the host: the snapshot is built before the host.
        var loggerFactory = LoggerFactory.Create(l =>
        {
            l.SetMinimumLevel(options.MinimumLogLevel);
            l.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            l.AddFilter("Microsoft.Hosting", LogLevel.Warning);
            if (options.LoggerProvider is not null)
            {
                l.AddProvider(options.LoggerProvider);
            }
            else
            {
                l.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "HH:mm:ss ";
                });
            }
        });
        var time = options.Time ?? TimeProvider.System;
        var services = new Runtime.RuntimeServices
        {
            Time = time,
            Logging = loggerFactory,
            Adapters = options.Adapters ?? Providers.ProviderAdapters.BuiltIn,
            Random = options.Random ?? Runtime.RandomSource.Shared,
            VirtualKeys = new Tandem.Access.VirtualKeyTable(time),
            SentenceEncoders = options.SentenceEncoders,
        };
        // Registered adapters are deployments that routes may name: read them before the configuration is validated.
        // Start-up only, before the host runs; an unreadable database yields none, and AdapterService adds them later.
        using var adapterRead = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var adapters = Adapters.RegisteredAdapters.ReadAsync(options.ConfigPath, adapterRead.Token).GetAwaiter().GetResult();
        var state = new GatewayState(options.ConfigPath, loggerFactory.CreateLogger("Tandem.Configuration"), time, options.WatchConfig, services, adapters);
        builder.Services.AddSingleton(loggerFactory);
        var urls = options.Urls ?? state.Current.Config.Server.Urls ?? "http://127.0.0.1:8080";
        var server = state.Current.Config.Server;
        var configDirectory = Path.GetDirectoryName(Path.GetFullPath(options.ConfigPath)) ?? Directory.GetCurrentDirectory();
        // server.admin_port and server.tls: the gateway binds its listeners itself (Hosting/Listeners.cs).
        var certificates = server.Tls is { CertificateFile: { } certificate, KeyFile: { } key }
            ? new Hosting.CertificateReloader(Path.Combine(configDirectory, certificate), Path.Combine(configDirectory, key), loggerFactory.CreateLogger("Tandem.Tls"))
            : null;
        var listeners = server.AdminPort is not null || certificates is not null ? Hosting.Listeners.Parse(server, urls, certificates) : null;
        if (listeners is null)
        {
            builder.WebHost.UseUrls(urls);
        }
        else
        {
            builder.Services.AddSingleton(listeners);
            if (certificates is not null)
            {
                builder.Services.AddSingleton(certificates);
            }
        }

        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = Hosting.InlineIo.Enable(server));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // The gateway enforces server.max_body_bytes itself (it may change on reload).
            k.Limits.MaxRequestBodySize = null;
            // server.max_header_bytes is enforced with an OpenAI-shaped 431 (HardeningMiddleware); Kestrel's bare 431
            // only for heads far past it.
            k.Limits.MaxRequestHeadersTotalSize = (int)Math.Max(32 * 1024, server.MaxHeaderBytes * 2);
            listeners?.Bind(k);
        });
        if (server.Cors.Origins.Count > 0)
        {
            // Off unless origins are listed: a browser page elsewhere cannot call the gateway with a user's key.
            builder.Services.AddCors(c => c.AddDefaultPolicy(p =>
            {
                var origins = server.Cors.Origins;
                _ = origins.Contains("*") ? p.AllowAnyOrigin() : p.WithOrigins([.. origins]);
                p.AllowAnyHeader().WithMethods("GET", "POST").WithExposedHeaders("x-request-id", "x-tandem-route", "x-tandem-deployment");
            }));
        }

        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(time);
        // Records and migration state: one database, built by the storage factory (AddTandemStorage).
        builder.Services.AddTandemStorage(state);
        // Budgets and rate limits, counted in that database or in Redis (limits.store).
        builder.Services.AddTandemLimits(state);
        // A stop (SIGTERM, Ctrl+C) lets in-flight requests finish, then writes their records, within this bound.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TandemStorageServiceCollectionExtensions.ShutdownTimeoutOf(state.Current.Config.Server));
        builder.Services.AddSingleton(sp =>
        {
            var metrics = new Tandem.Telemetry.TandemMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
            metrics.ObserveDeployments(() => state.Current);
            metrics.ObserveMigrations(() => sp.GetService<MigrationCoordinator>());
            return metrics;
        });
        builder.Services.AddSingleton<RecordCompletion>();
        builder.Services.AddSingleton<ChatProxy>();
        builder.Services.AddSingleton(sp => new MigrationCoordinator(
            sp.GetRequiredService<IMigrationStore>(), () => state.Current,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Tandem.Migration"), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddHostedService<Hosting.MigrationService>();
        builder.Services.AddSingleton<Adapters.AdapterKeeper>();
        builder.Services.AddHostedService<Adapters.AdapterService>();
        builder.Services.AddSingleton(sp => new LifecycleWatch(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("Tandem.Lifecycle")));
        builder.Services.AddHostedService<Hosting.LifecycleService>();
        builder.Services.AddTandemTelemetry(state.Current.Config.Telemetry);
        builder.Services.AddTandemAccess(services.VirtualKeys);
        builder.Services.AddTandemDashboard();

        var app = builder.Build();
        var gateway = new GatewayApp(app, state) { _listeners = listeners };
        app.UseMiddleware<Hosting.HardeningMiddleware>();
        if (server.Cors.Origins.Count > 0)
        {
            app.UseCors();
        }

        Endpoints.TandemEndpoints.Map(app);
        return gateway;
    }

    /// <summary>Starts listening.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        if (_listeners is not null)
        {
            BaseAddress = _listeners.MainAddress;
            AdminAddress = _listeners.AdminAddress;
            return;
        }

        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
    }

    /// <summary>Runs until shutdown is requested.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the host, letting in-flight requests finish.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        State.Dispose();
    }
}
