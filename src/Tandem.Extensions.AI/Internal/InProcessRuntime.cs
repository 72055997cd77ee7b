using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Configuration;
using Tandem.Costs;
using Tandem.Migration;
using Tandem.Providers;
using Tandem.Records;
using Tandem.Runtime;
using Tandem.Storage;
using Tandem.Telemetry;

namespace Tandem.Extensions.AI.Internal;

/// <summary>
/// What a <see cref="TandemChatClient"/> runs on, built once from its options: the configuration (file or code, plus
/// deployments and routes added in code) compiled into the same <see cref="GatewaySnapshot"/> a gateway builds, the
/// <see cref="IChatClient"/> of each in-process deployment, and — with storage — the gateway's database, its record
/// writer and a migration coordinator over its migration store.
/// </summary>
/// <remarks>
/// Started on first use (or <see cref="TandemChatClient.StartAsync"/>): the writer's loop, the schema, the stored
/// migration stages. As in the gateway, storage that is down does not stop serving: routes serve as configured without
/// migration until the schema and stages could be read (retried in the background), and records queue in the bounded writer.
/// </remarks>
internal sealed partial class InProcessRuntime : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILoggerFactory _loggers;
    private Task? _started;
    private Task _background = Task.CompletedTask;
    private int _disposed;

    private InProcessRuntime(TandemChatClientOptions options, GatewaySnapshot snapshot, Dictionary<string, IChatClient> clients, HashSet<string> modelless,
        string baseDirectory, ILoggerFactory loggers, System.Diagnostics.Metrics.IMeterFactory? meters)
    {
        Options = options;
        Snapshot = snapshot;
        Clients = clients;
        Modelless = modelless;
        Time = options.TimeProvider;
        _loggers = loggers;
        Logger = _loggers.CreateLogger("Tandem.InProcess");
        Metrics = new TandemMetrics(meters);
        Metrics.ObserveDeployments(() => Snapshot);
        DefaultRoute = options.Route ?? options.InnerDeployment;
        if (options.UseStorage)
        {
            Database = StorageFactory.Open(snapshot.Config.Storage, baseDirectory, Time, Tandem.Privacy.ContentCipher.Load(snapshot.Config.Privacy.Encryption, baseDirectory));
            Writer = new RecordWriter(Database.Records, options.RecordWriter, _loggers.CreateLogger<RecordWriter>(), Time, Metrics);
            Migrations = new MigrationCoordinator(Database.Migrations, () => Snapshot, _loggers.CreateLogger("Tandem.Migration"), Time, options.ShadowQueueCapacity, options.ShadowWorkers);
            Metrics.ObserveMigrations(() => Migrations);
        }

        Records = options.Records ?? (IRecordSink?)Writer ?? DroppingSink.Instance;
    }

    public TandemChatClientOptions Options { get; }

    public GatewaySnapshot Snapshot { get; }

    /// <summary>In-process clients by deployment name.</summary>
    public IReadOnlyDictionary<string, IChatClient> Clients { get; }

    /// <summary>Deployments added in code without a model id: their client is called with its own default model.</summary>
    public IReadOnlySet<string> Modelless { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public TandemMetrics Metrics { get; }

    public RecordFinisher Finisher { get; } = new();

    /// <summary>Exchanges of calls that have ended, reused by the next calls (<see cref="ChatExchange.Begin"/>).</summary>
    public IdlePool<ChatExchange> IdleExchanges { get; } = new(64);

    public IRecordSink Records { get; }

    public StorageDatabase? Database { get; }

    public RecordWriter? Writer { get; }

    public MigrationCoordinator? Migrations { get; }

    /// <summary>The route or deployment of calls whose model names none.</summary>
    public string DefaultRoute { get; }

    /// <summary>Whether the runtime was started (the fast path of every call).</summary>
    public bool IsStarted => _started is { IsCompletedSuccessfully: true };

    /// <summary>Builds the runtime; throws <see cref="ConfigException"/> listing every problem.</summary>
    public static InProcessRuntime Create(TandemChatClientOptions options, IChatClient inner, ILoggerFactory? loggers = null, System.Diagnostics.Metrics.IMeterFactory? meters = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(inner);
        var types = ProviderTypes.BuiltIn.Append(ChatClientAdapter.Type).ToArray();
        TandemConfig config;
        string baseDirectory;
        if (options.ConfigPath is { } path)
        {
            config = ConfigLoader.LoadFile(path, ConfigUse.Tool, types);
            baseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        }
        else
        {
            config = options.Config ?? new TandemConfig();
            baseDirectory = options.BaseDirectory ?? Environment.CurrentDirectory;
        }

        var clients = new Dictionary<string, IChatClient>(options.Clients, StringComparer.Ordinal);
        clients.TryAdd(options.InnerDeployment, inner);
        var code = options.CodeDeployments.ToList();
        if (!config.Deployments.Any(d => d.Name == options.InnerDeployment) && !code.Any(c => c.Deployment.Name == options.InnerDeployment))
        {
            code.Add((new DeploymentConfig { Name = options.InnerDeployment }, null));
        }

        var providers = config.Providers.ToList();
        var deployments = config.Deployments.ToList();
        var modelless = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (deployment, provider) in code)
        {
            if (string.IsNullOrWhiteSpace(deployment.Model))
            {
                modelless.Add(deployment.Name);
            }

            // Each deployment added in code gets a provider of its own: its own limiter and timeouts.
            var name = deployment.Name + "@in-process";
            providers.Add((provider ?? new ProviderConfig()) with { Name = name, Type = ChatClientAdapter.Type, BaseUrl = ChatClientAdapter.PlaceholderUrl, Endpoints = [], ApiKeyEnv = null, HealthCheck = null });
            deployments.Add(deployment with { Provider = name, Model = string.IsNullOrWhiteSpace(deployment.Model) ? deployment.Name : deployment.Model });
        }

        config = config with
        {
            Auth = new AuthConfig { Disabled = true },
            Providers = providers,
            Deployments = deployments,
            Routes = [.. config.Routes, .. options.CodeRoutes],
        };
        var errors = ConfigValidator.Validate(config, ConfigUse.Tool, types).ToList();
        var chatClientProviders = providers.Where(p => p.Type == ChatClientAdapter.Type).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var d in deployments.Where(d => chatClientProviders.Contains(d.Provider) && !clients.ContainsKey(d.Name)))
        {
            errors.Add($"deployments: '{d.Name}' is on a {ChatClientAdapter.Type} provider but no IChatClient was given for it (options.Clients)");
        }

        foreach (var name in options.Clients.Keys.Where(n => !deployments.Any(d => d.Name == n)))
        {
            errors.Add($"clients: '{name}' names no deployment of the configuration");
        }

        var defaultRoute = options.Route ?? options.InnerDeployment;
        if (!config.Routes.Any(r => r.Name == defaultRoute) && !deployments.Any(d => d.Name == defaultRoute))
        {
            errors.Add($"route: '{defaultRoute}' is neither a route nor a deployment of the configuration");
        }

        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        var services = new RuntimeServices
        {
            Time = options.TimeProvider,
            Logging = loggers ?? options.LoggerFactory ?? NullLoggerFactory.Instance,
            Adapters = ProviderAdapters.BuiltIn.With(ChatClientAdapter.Type, static c => new ChatClientAdapter(c)),
            Random = options.Random ?? (config.Server.RandomSeed is { } seed ? RandomSource.Seeded(seed) : RandomSource.Shared),
        };
        return new InProcessRuntime(options, GatewaySnapshot.Build(config, null, services), clients, modelless, baseDirectory, services.Logging, meters ?? options.MeterFactory);
    }

    /// <summary>Starts once; later calls return the same task.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var started = Volatile.Read(ref _started);
        if (started is not null)
        {
            return started;
        }

        var fresh = StartOnceAsync(cancellationToken);
        return Interlocked.CompareExchange(ref _started, fresh, null) ?? fresh;
    }

    private async Task StartOnceAsync(CancellationToken cancellationToken)
    {
        if (Database is null || Writer is null || Migrations is null)
        {
            return;
        }

        await Writer.StartAsync(cancellationToken).ConfigureAwait(false);
        var ready = await TryOpenAsync(cancellationToken).ConfigureAwait(false);
        _background = RunInBackgroundAsync(ready, _stopping.Token);
    }

    /// <summary>Applies the schema and reads the stored migration stages; false (logged) while the database is unusable.</summary>
    private async Task<bool> TryOpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Database!.MigrateAsync(cancellationToken).ConfigureAwait(false);
            await Migrations!.StartAsync(cancellationToken).ConfigureAwait(false);
            LogStorageOpened(Logger, Database.Engine, Database.Where);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogStorageUnusable(Logger, Database!.Engine, e.GetType().Name + ": " + e.Message);
            return false;
        }
    }

    private async Task RunInBackgroundAsync(bool ready, CancellationToken cancellationToken)
    {
        try
        {
            var delay = TimeSpan.FromSeconds(1);
            while (!ready)
            {
                await Task.Delay(delay, Time, cancellationToken).ConfigureAwait(false);
                ready = await TryOpenAsync(cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30));
            }

            while (Options.MigrationEvaluation == MigrationEvaluation.Scheduled)
            {
                var every = Snapshot.Routes.Values
                    .Select(r => r.Config.Migration is { } m && ConfigLoader.TryParseDuration(m.EvaluateEvery, out var d) ? d : TimeSpan.FromSeconds(30))
                    .DefaultIfEmpty(TimeSpan.FromSeconds(30))
                    .Min();
                await Task.Delay(every, Time, cancellationToken).ConfigureAwait(false);
                try
                {
                    await Migrations!.EvaluateAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    LogEvaluationFailed(Logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops the background work, drains the shadow calls, flushes the records, closes the database and the providers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _background.ConfigureAwait(false);
        if (Migrations is not null)
        {
            await Migrations.DisposeAsync().ConfigureAwait(false);
        }

        if (Writer is not null)
        {
            if (_started is not null)
            {
                await Writer.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }

            Writer.Dispose();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var provider in Snapshot.Providers.Values)
        {
            provider.Dispose();
        }

        Metrics.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(EventIds.StorageOpened, LogLevel.Information, "In-process storage: {Engine} at {Where}")]
    private static partial void LogStorageOpened(ILogger logger, string engine, string where);

    [LoggerMessage(EventIds.StorageUnusable, LogLevel.Warning, "In-process storage ({Engine}) is unusable, serving without migrations until it is: {Error}")]
    private static partial void LogStorageUnusable(ILogger logger, string engine, string error);

    [LoggerMessage(EventIds.EvaluationFailed, LogLevel.Warning, "In-process migration gate evaluation failed")]
    private static partial void LogEvaluationFailed(ILogger logger, Exception exception);

    /// <summary>Records dropped on purpose: no storage and no sink was given.</summary>
    private sealed class DroppingSink : IRecordSink
    {
        public static readonly DroppingSink Instance = new();

        public bool TryWrite(RequestRecord record) => false;
    }
}
