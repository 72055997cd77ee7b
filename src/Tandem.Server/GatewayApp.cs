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

    /// <summary>The source of sampled decisions (shadow and judge sampling, replica choice); null: unseeded.</summary>
    public Runtime.RandomSource? Random { get; init; }
}

/// <summary>Builds and runs the Tandem gateway: Kestrel, the OpenAI-compatible endpoints and the admin surface.</summary>
public sealed class GatewayApp : IAsyncDisposable
{
    private readonly WebApplication _app;

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
        var services = new Runtime.RuntimeServices
        {
            Time = TimeProvider.System,
            Logging = loggerFactory,
            Adapters = options.Adapters ?? Providers.ProviderAdapters.BuiltIn,
            Random = options.Random ?? Runtime.RandomSource.Shared,
        };
        var state = new GatewayState(options.ConfigPath, loggerFactory.CreateLogger("Tandem.Configuration"), TimeProvider.System, options.WatchConfig, services);
        builder.Services.AddSingleton(loggerFactory);
        var urls = options.Urls ?? state.Current.Config.Server.Urls ?? "http://127.0.0.1:8080";
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // The gateway enforces server.max_body_bytes itself (it may change on reload).
            k.Limits.MaxRequestBodySize = null;
        });

        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(TimeProvider.System);
        // Records and migration state: one database, built by the storage factory (AddTandemStorage).
        builder.Services.AddTandemStorage(state);
        // A stop (SIGTERM, Ctrl+C) lets in-flight requests finish, then writes their records, within this bound.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TandemStorageServiceCollectionExtensions.ShutdownTimeoutOf(state.Current.Config.Server));
        builder.Services.AddSingleton<RecordCompletion>();
        builder.Services.AddSingleton<ChatProxy>();
        builder.Services.AddSingleton(sp => new MigrationCoordinator(
            sp.GetRequiredService<IMigrationStore>(), () => state.Current,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Tandem.Migration"), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddHostedService<Admin.MigrationService>();

        var app = builder.Build();
        var gateway = new GatewayApp(app, state);
        gateway.MapEndpoints();
        return gateway;
    }

    /// <summary>Starts listening.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
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

    private void MapEndpoints()
    {
        var app = _app;
        var proxy = app.Services.GetRequiredService<ChatProxy>();
        app.MapPost("/v1/chat/completions", ctx => proxy.HandleAsync(ctx, ApiOperation.ChatCompletions));
        app.MapPost("/v1/completions", ctx => proxy.HandleAsync(ctx, ApiOperation.Completions));
        app.MapPost("/v1/embeddings", ctx => proxy.HandleAsync(ctx, ApiOperation.Embeddings));
        app.MapGet("/v1/models", ListModelsAsync);
        app.MapGet("/v1/models/{id}", GetModelAsync);
        app.MapGet("/healthz", static ctx =>
        {
            ctx.Response.ContentType = "text/plain";
            return ctx.Response.WriteAsync("ok");
        });
        app.MapGet("/readyz", ReadyAsync);
        app.MapPost("/admin/reload", ReloadAsync);
        app.MapGet("/admin/config", ConfigStatusAsync);
        app.MapGet("/admin/deployments", DeploymentsStatusAsync);
        app.MapPost("/admin/deployments/{name}/isolate", ctx => BreakerControlAsync(ctx, isolate: true));
        app.MapPost("/admin/deployments/{name}/close", ctx => BreakerControlAsync(ctx, isolate: false));
        Telemetry.GatewayMetrics.Observe(State);
        Admin.MigrationEndpoints.Map(app, State, app.Services.GetRequiredService<MigrationCoordinator>(), app.Services.GetRequiredService<TimeProvider>());
        app.MapTandemStorageEndpoints();

        // Anything else under /v1 gets an OpenAI-shaped 404 rather than an empty one.
        app.MapFallback("/v1/{**rest}", static ctx => WriteJsonAsync(ctx, 404, w => WriteError(w,
            $"Unknown endpoint {ctx.Request.Method} {ctx.Request.Path}.", ErrorTypes.InvalidRequest, null, "unknown_url")));
    }

    private Task ListModelsAsync(HttpContext ctx)
    {
        var snapshot = State.Current;
        var key = snapshot.Keys.Authenticate(BearerOf(ctx));
        if (key is null)
        {
            return WriteJsonAsync(ctx, 401, w => WriteError(w, "Incorrect or missing API key.", ErrorTypes.InvalidRequest, null, "invalid_api_key"));
        }

        var created = State.LoadedAt.ToUnixTimeSeconds();
        return WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var route in snapshot.Routes.Values.OrderBy(r => r.Name, StringComparer.Ordinal))
            {
                if (key.MayUse(route.Name))
                {
                    WriteModel(w, route.Name, created, "route", route.Incumbent.Name);
                }
            }

            foreach (var deployment in snapshot.Deployments.Values.OrderBy(d => d.Name, StringComparer.Ordinal))
            {
                if (key.MayUse(deployment.Name))
                {
                    WriteModel(w, deployment.Name, created, "deployment", deployment.Provider.Name);
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private Task GetModelAsync(HttpContext ctx)
    {
        var snapshot = State.Current;
        var key = snapshot.Keys.Authenticate(BearerOf(ctx));
        if (key is null)
        {
            return WriteJsonAsync(ctx, 401, w => WriteError(w, "Incorrect or missing API key.", ErrorTypes.InvalidRequest, null, "invalid_api_key"));
        }

        var id = (string)ctx.Request.RouteValues["id"]!;
        if (!snapshot.TryResolve(id, key, out var route, out var deployment))
        {
            return WriteJsonAsync(ctx, 404, w => WriteError(w, $"The model '{id}' does not exist or you do not have access to it.", ErrorTypes.InvalidRequest, "model", "model_not_found"));
        }

        var created = State.LoadedAt.ToUnixTimeSeconds();
        return WriteJsonAsync(ctx, 200, w => WriteModel(w, id, created, route is null ? "deployment" : "route", route is null ? deployment!.Provider.Name : route.Incumbent.Name));
    }

    private static void WriteModel(Utf8JsonWriter w, string id, long created, string kind, string target)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", "model");
        w.WriteNumber("created", created);
        w.WriteString("owned_by", "tandem");
        w.WriteString("tandem_kind", kind);
        w.WriteString(kind == "route" ? "tandem_deployment" : "tandem_provider", target);
        w.WriteEndObject();
    }

    private async Task ReadyAsync(HttpContext ctx)
    {
        var snapshot = State.Current;
        // Unready while records cannot be stored: /v1 keeps serving (records queue up to their bound), but an
        // orchestrator should know, and can route new traffic to an instance whose storage works.
        var storage = _app.Services.GetRequiredService<Storage.StorageHealth>();
        var reachable = await storage.IsReachableAsync(ctx.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(ctx, reachable ? 200 : 503, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", reachable ? "ready" : "unready");
            w.WriteNumber("config_version", snapshot.Version);
            w.WriteString("storage", reachable ? "ok" : "unreachable");
            w.WriteNumber("records_queued", storage.Writer.Held);
            w.WriteNumber("records_dropped", storage.Writer.Dropped);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task ReloadAsync(HttpContext ctx)
    {
        if (!IsAdmin(ctx))
        {
            await WriteJsonAsync(ctx, 401, w => WriteError(w, "The admin API needs the admin key.", ErrorTypes.InvalidRequest, null, "invalid_api_key")).ConfigureAwait(false);
            return;
        }

        var outcome = await State.ReloadAsync().ConfigureAwait(false);
        await WriteJsonAsync(ctx, outcome.Succeeded ? 200 : 422, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("reloaded", outcome.Succeeded);
            w.WriteNumber("config_version", outcome.Version);
            w.WriteStartArray("errors");
            foreach (var e in outcome.Errors)
            {
                w.WriteStringValue(e);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private Task ConfigStatusAsync(HttpContext ctx)
    {
        if (!IsAdmin(ctx))
        {
            return WriteJsonAsync(ctx, 401, w => WriteError(w, "The admin API needs the admin key.", ErrorTypes.InvalidRequest, null, "invalid_api_key"));
        }

        var snapshot = State.Current;
        return WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("path", State.Path);
            w.WriteNumber("version", snapshot.Version);
            w.WriteString("loaded_at", State.LoadedAt);
            w.WriteStartArray("last_reload_errors");
            foreach (var e in State.LastReloadErrors ?? [])
            {
                w.WriteStringValue(e);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private Task DeploymentsStatusAsync(HttpContext ctx)
    {
        if (!IsAdmin(ctx))
        {
            return WriteJsonAsync(ctx, 401, w => WriteError(w, "The admin API needs the admin key.", ErrorTypes.InvalidRequest, null, "invalid_api_key"));
        }

        var snapshot = State.Current;
        var now = DateTimeOffset.UtcNow;
        return WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("deployments");
            foreach (var d in snapshot.Deployments.Values.OrderBy(d => d.Name, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("name", d.Name);
                w.WriteString("provider", d.Provider.Name);
                w.WriteString("model", d.UpstreamModel);
                w.WriteString("breaker", d.Resilience.BreakerState switch
                {
                    Polly.CircuitBreaker.CircuitState.Open => "open",
                    Polly.CircuitBreaker.CircuitState.HalfOpen => "half_open",
                    Polly.CircuitBreaker.CircuitState.Isolated => "isolated",
                    _ => "closed",
                });
                var limiter = d.Provider.Limiter.GetStatistics();
                w.WriteNumber("provider_in_flight", d.Provider.Config.MaxConcurrency - (limiter?.CurrentAvailablePermits ?? d.Provider.Config.MaxConcurrency));
                w.WriteNumber("provider_queued", limiter?.CurrentQueuedCount ?? 0);
                w.WriteStartArray("endpoints");
                foreach (var e in d.Provider.Endpoints)
                {
                    w.WriteStartObject();
                    w.WriteString("url", e.BaseUrl);
                    w.WriteBoolean("available", e.IsAvailable(now));
                    w.WriteBoolean("health_check_passing", e.HealthCheckPassing);
                    w.WriteNumber("outstanding", e.Outstanding);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>Maintenance: isolating a deployment holds its breaker open so routes fall back; closing restores it.</summary>
    private async Task BreakerControlAsync(HttpContext ctx, bool isolate)
    {
        if (!IsAdmin(ctx))
        {
            await WriteJsonAsync(ctx, 401, w => WriteError(w, "The admin API needs the admin key.", ErrorTypes.InvalidRequest, null, "invalid_api_key")).ConfigureAwait(false);
            return;
        }

        var name = (string)ctx.Request.RouteValues["name"]!;
        if (!State.Current.Deployments.TryGetValue(name, out var deployment))
        {
            await WriteJsonAsync(ctx, 404, w => WriteError(w, $"Unknown deployment '{name}'.", ErrorTypes.InvalidRequest, "name", "not_found")).ConfigureAwait(false);
            return;
        }

        if (isolate)
        {
            await deployment.Resilience.IsolateAsync().ConfigureAwait(false);
        }
        else
        {
            await deployment.Resilience.CloseAsync().ConfigureAwait(false);
        }

        await WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("deployment", name);
            w.WriteString("breaker", isolate ? "isolated" : "closed");
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private bool IsAdmin(HttpContext ctx) => IsAdmin(ctx, State);

    internal static bool IsAdmin(HttpContext ctx, GatewayState state) => state.Current.Keys.IsAdmin(BearerOf(ctx));

    private static ReadOnlySpan<char> BearerOf(HttpContext ctx) => RequestBody.PresentedKey(ctx.Request);

    internal static void WriteError(Utf8JsonWriter w, string message, string type, string? param, string? code) =>
        OpenAiError.Write(w, message, type, param, code);

    internal static async Task WriteJsonAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = buffer.WrittenCount;
        if (!ctx.Response.Headers.ContainsKey("x-request-id"))
        {
            ctx.Response.Headers["x-request-id"] = Proxy.RequestIds.From(ctx.Request.Headers["x-request-id"]);
        }

        await ctx.Response.Body.WriteAsync(buffer.WrittenMemory, ctx.RequestAborted).ConfigureAwait(false);
    }
}
