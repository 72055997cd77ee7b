using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Tandem.Configuration;
using Tandem.Records;
using Tandem.Runtime;
using Tandem.Storage;

namespace Tandem.Extensions.AI;

/// <summary>When the in-process client evaluates its migrations' gates (and, under <c>auto</c>, advances or rolls back).</summary>
public enum MigrationEvaluation
{
    /// <summary>On each route's <c>evaluate_every</c>, as the gateway does (a timer on the options' <see cref="TimeProvider"/>).</summary>
    Scheduled,

    /// <summary>Only when <see cref="TandemChatClient.EvaluateMigrationsAsync"/> is called (tests, or a host's own schedule).</summary>
    Manual,
}

/// <summary>
/// How a <see cref="TandemChatClient"/> is set up: the Tandem configuration (the gateway's YAML or JSON file, or one built
/// in code), the <see cref="IChatClient"/>s that serve its deployments in process, the route calls use, and where
/// records and migration state are kept.
/// </summary>
/// <remarks>
/// A deployment is served by the <see cref="IChatClient"/> given for its name in <see cref="Clients"/> (its provider's
/// limiter and timeouts still apply), by the builder's inner client when its name is <see cref="InnerDeployment"/>,
/// and otherwise over HTTP through Tandem's own upstream seam and provider adapters, exactly as the gateway calls it.
/// </remarks>
public sealed class TandemChatClientOptions
{
    private readonly List<(DeploymentConfig Deployment, ProviderConfig? Provider)> _deployments = [];
    private readonly List<RouteConfig> _routes = [];

    /// <summary>
    /// The configuration file the gateway reads (YAML or JSON): providers, deployments, routes, migrations, storage. Its
    /// <c>auth</c> section is ignored (nothing authenticates in process). Null: <see cref="Config"/>.
    /// </summary>
    public string? ConfigPath { get; set; }

    /// <summary>A configuration built in code, used when <see cref="ConfigPath"/> is null (null: an empty one).</summary>
    public TandemConfig? Config { get; set; }

    /// <summary>
    /// The route (or deployment) a call uses when its <see cref="ChatOptions.ModelId"/> names none of the configuration's
    /// routes and deployments; null: <see cref="InnerDeployment"/>.
    /// </summary>
    public string? Route { get; set; }

    /// <summary>
    /// The deployment the builder's inner client serves (default <c>inner</c>). When the configuration has a deployment of
    /// that name, the inner client serves it in place of HTTP; otherwise a deployment of that name is added (with the
    /// defaults of <see cref="AddDeployment(string, IChatClient)"/>), so that routes added in code may name it.
    /// </summary>
    public string InnerDeployment { get; set; } = "inner";

    /// <summary>In-process clients by the name of the deployment they serve (the caller keeps ownership: they are not disposed).</summary>
    public IDictionary<string, IChatClient> Clients { get; } = new Dictionary<string, IChatClient>(StringComparer.Ordinal);

    /// <summary>The name calls carry in records and that rules' <c>keys:</c> match (default <c>in-process</c>).</summary>
    public string KeyName { get; set; } = "in-process";

    /// <summary>
    /// Reads a request "header" by name for rules (<c>when.headers</c>) and sticky splits (<c>sticky: header:NAME</c>), e.g.
    /// from the current HTTP request in a web app; null: no headers. Called on the caller's thread, during the call.
    /// </summary>
    public Func<string, string?>? Headers { get; set; }

    /// <summary>
    /// Keep records and migration state in the configuration's <c>storage</c> (a SQLite file, relative to the
    /// configuration file's directory, or PostgreSQL), the same database a gateway uses (default true).
    /// </summary>
    public bool UseStorage { get; set; } = true;

    /// <summary>Where a relative SQLite path is resolved when the configuration is built in code (default: the current directory).</summary>
    public string? BaseDirectory { get; set; }

    /// <summary>Where records go; null: the storage's bounded background writer (none without storage).</summary>
    public IRecordSink? Records { get; set; }

    /// <summary>Settings of the background record writer.</summary>
    public RecordWriterOptions RecordWriter { get; set; } = new();

    /// <summary>When migration gates are evaluated (default <see cref="MigrationEvaluation.Scheduled"/>).</summary>
    public MigrationEvaluation MigrationEvaluation { get; set; } = MigrationEvaluation.Scheduled;

    /// <summary>Most served answers waiting for their shadow call (beyond it they are dropped and counted).</summary>
    public int ShadowQueueCapacity { get; set; } = 1000;

    /// <summary>Concurrent shadow calls.</summary>
    public int ShadowWorkers { get; set; } = 4;

    /// <summary>The clock (timeouts, breakers, records, gate windows).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Loggers; null: none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The host's meter factory (metrics on the <c>Tandem</c> meter); null: a meter of the client's own.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>The source of sampled decisions (split arms without a sticky key, shadow and judge sampling); null: seeded by <c>server.random_seed</c>, else unseeded.</summary>
    public RandomSource? Random { get; set; }

    /// <summary>Deployments added in code, each with its own <c>chat-client</c> provider.</summary>
    internal IReadOnlyList<(DeploymentConfig Deployment, ProviderConfig? Provider)> CodeDeployments => _deployments;

    /// <summary>Routes added in code.</summary>
    internal IReadOnlyList<RouteConfig> CodeRoutes => _routes;

    /// <summary>
    /// Adds a deployment served by <paramref name="client"/>, with default settings; the client answers with its own
    /// default model (records name the deployment's model as its name).
    /// </summary>
    public TandemChatClientOptions AddDeployment(string name, IChatClient client) =>
        AddDeployment(new DeploymentConfig { Name = name }, client);

    /// <summary>
    /// Adds a deployment served by <paramref name="client"/>: its settings (model id, passed to the client as
    /// <see cref="ChatOptions.ModelId"/> and used for records and default prices; pricing,
    /// context window, resilience) and optionally its provider's (timeouts, <c>max_concurrency</c>, <c>max_queue</c>;
    /// name, type and URL are Tandem's). The deployment gets a <c>chat-client</c> provider of its own.
    /// </summary>
    public TandemChatClientOptions AddDeployment(DeploymentConfig deployment, IChatClient client, ProviderConfig? provider = null)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(deployment.Name);
        _deployments.Add((deployment, provider));
        Clients[deployment.Name] = client;
        return this;
    }

    /// <summary>Adds a route (rules, split, tiers, fallbacks, migration) over any of the deployments.</summary>
    public TandemChatClientOptions AddRoute(RouteConfig route)
    {
        ArgumentNullException.ThrowIfNull(route);
        _routes.Add(route);
        return this;
    }
}
