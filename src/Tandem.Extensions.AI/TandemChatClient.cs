using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Tandem.Extensions.AI.Internal;
using Tandem.Migration;
using Tandem.Runtime;
using Tandem.Telemetry;

namespace Tandem.Extensions.AI;

/// <summary>
/// Tandem in process: an <see cref="IChatClient"/> middleware that serves each call the way a Tandem gateway serves a
/// request — the route's rules and personal-data confinement, sticky split or tiers, the fallback chain (for streams,
/// only before the first update), each deployment's limiter, retries and circuit breaker, the route's migration stage
/// with shadow calls off the caller's path, a record with tokens and cost, and the <c>Tandem</c> traces and metrics —
/// with Tandem's own Core, so a gateway and in-process clients on one database share one migration.
/// </summary>
/// <remarks>
/// Add it with <c>builder.UseTandem(options)</c> on a <see cref="ChatClientBuilder"/>. Deployments are other
/// <see cref="IChatClient"/>s (<see cref="TandemChatClientOptions.Clients"/>, the builder's inner client as
/// <see cref="TandemChatClientOptions.InnerDeployment"/>) or are reached over HTTP through Tandem's provider adapters.
/// A call that no deployment serves throws <see cref="TandemChatException"/> with the status and code the gateway
/// would have answered. Dispose it (preferably with <see cref="DisposeAsync"/>) to drain shadow calls and flush records.
/// </remarks>
public sealed class TandemChatClient : DelegatingChatClient, IAsyncDisposable
{
    private readonly InProcessRuntime _runtime;

    /// <summary>Creates the middleware over <paramref name="innerClient"/>; throws <see cref="Configuration.ConfigException"/> listing every configuration problem.</summary>
    /// <param name="innerClient">The builder's inner client: it serves the deployment named <see cref="TandemChatClientOptions.InnerDeployment"/>.</param>
    /// <param name="options">The configuration, deployments and storage.</param>
    public TandemChatClient(IChatClient innerClient, TandemChatClientOptions options)
        : this(innerClient, options, null, null)
    {
    }

    internal TandemChatClient(IChatClient innerClient, TandemChatClientOptions options, ILoggerFactory? loggers, IMeterFactory? meters)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(options);
        _runtime = InProcessRuntime.Create(options, innerClient, loggers, meters);
    }

    /// <summary>What the client runs on (tests).</summary>
    internal InProcessRuntime Runtime => _runtime;

    /// <summary>The compiled configuration: routes, deployments (their breakers), providers (their replicas and limiters).</summary>
    public GatewaySnapshot Snapshot => _runtime.Snapshot;

    /// <summary>The migration coordinator (state in the storage's migration store); null without storage.</summary>
    public MigrationCoordinator? Migrations => _runtime.Migrations;

    /// <summary>
    /// Starts the record writer and reads the schema and stored migration stages (done by the first call otherwise).
    /// Storage that is down is logged and retried in the background; calls are served meanwhile.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _runtime.StartAsync(cancellationToken);

    /// <summary>
    /// Evaluates the gates of every active migration (or of <paramref name="route"/>) now, and under <c>auto</c> advances
    /// or rolls back, exactly as the gateway's evaluation does (state changes are compare-and-swap, so a gateway and
    /// several clients on one database agree). Returns the gate report per route; empty without storage.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, GateReport>> EvaluateMigrationsAsync(string? route = null, CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        return _runtime.Migrations is { } migrations
            ? await migrations.EvaluateAsync(route, cancellationToken).ConfigureAwait(false)
            : new Dictionary<string, GateReport>();
    }

    /// <summary>Waits until every shadow call decided so far has been made and its sample stored (tests, shutdown).</summary>
    public Task WaitForShadowsAsync(TimeSpan timeout) => _runtime.Migrations?.WaitForShadowsAsync(timeout) ?? Task.CompletedTask;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (!_runtime.IsStarted)
        {
            await _runtime.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        var x = ChatExchange.Begin(_runtime, messages, options, stream: false);
        using var activity = TandemTelemetry.Source.StartActivity("tandem chat", ActivityKind.Internal);
        x.Activity = activity;
        activity?.SetTag("tandem.request_id", x.RequestId);
        DeploymentAnswer? answer = null;
        try
        {
            x.Decide();
            answer = await x.ServeAsync(cancellationToken).ConfigureAwait(false);
            x.Served(answer);
            if (answer.Failure is { } failure)
            {
                x.Fail(failure.Status, failure.Code);
                throw TandemChatException.From(failure, answer.Exception);
            }

            var response = answer.Response!;
            if (_runtime.Clients.ContainsKey(answer.Deployment.Name))
            {
                // Over HTTP the facts were read from the answer's bytes, as the gateway reads them.
                x.Observe(response);
            }

            x.Succeed();
            return response;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            x.Fail(499, "client_closed");
            throw;
        }
        catch (Exception e) when (e is not TandemChatException)
        {
            Log.UnhandledError(_runtime.Logger, x.RequestId, e);
            x.Fail(500, "internal_error");
            throw;
        }
        finally
        {
            answer?.Dispose();
            x.Complete();
            x.Dispose();
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (!_runtime.IsStarted)
        {
            await _runtime.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        var x = ChatExchange.Begin(_runtime, messages, options, stream: true);
        using var activity = TandemTelemetry.Source.StartActivity("tandem chat", ActivityKind.Internal);
        x.Activity = activity;
        activity?.SetTag("tandem.request_id", x.RequestId);
        var relay = new StreamRelay(x);
        await using (relay.ConfigureAwait(false))
        {
            await Guard(x, relay.StartAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
            while (await Guard(x, relay.NextAsync(cancellationToken), cancellationToken).ConfigureAwait(false) is { } update)
            {
                yield return update;
            }
        }
    }

    /// <summary>Records an unexpected failure of a stream step (an iterator cannot catch around its yields).</summary>
    private async ValueTask Guard(ChatExchange x, ValueTask step, CancellationToken cancellationToken)
    {
        try
        {
            await step.ConfigureAwait(false);
        }
        catch (Exception e) when (Unexpected(x, e, cancellationToken))
        {
            throw;
        }
    }

    private async ValueTask<T> Guard<T>(ChatExchange x, ValueTask<T> step, CancellationToken cancellationToken)
    {
        try
        {
            return await step.ConfigureAwait(false);
        }
        catch (Exception e) when (Unexpected(x, e, cancellationToken))
        {
            throw;
        }
    }

    private bool Unexpected(ChatExchange x, Exception e, CancellationToken cancellationToken)
    {
        if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            x.Fail(499, "client_closed");
        }
        else if (e is not TandemChatException)
        {
            Log.UnhandledError(_runtime.Logger, x.RequestId, e);
            x.Fail(500, "internal_error");
        }

        return false;
    }

    /// <summary>Drains shadow calls, flushes records and closes storage, then disposes the inner client.</summary>
    public async ValueTask DisposeAsync()
    {
        await _runtime.DisposeAsync().ConfigureAwait(false);
        Dispose();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Flushing records and draining shadow calls is asynchronous work; a synchronous dispose waits for it.
            _runtime.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }
}
