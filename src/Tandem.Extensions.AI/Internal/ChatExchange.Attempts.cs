using System.Buffers;
using Microsoft.Extensions.AI;
using Tandem.Runtime;
using Tandem.Upstream;

namespace Tandem.Extensions.AI.Internal;

internal sealed partial class ChatExchange
{
    /// <summary>
    /// One deployment of the plan: through its <see cref="IChatClient"/> when it has one (the seam's
    /// <see cref="DeploymentInvoker.InvokeAsync"/>), else over HTTP (<see cref="DeploymentInvoker.SendAsync"/>), as the
    /// gateway calls it. Failures are values; the fallback chain decides what comes next.
    /// </summary>
    private ValueTask<DeploymentAnswer> AttemptAsync(DeploymentRuntime deployment, CancellationToken cancellationToken)
    {
        if (Runtime.Clients.TryGetValue(deployment.Name, out var client))
        {
            return Stream ? StreamFromClientAsync(deployment, client, cancellationToken) : AskClientAsync(deployment, client, cancellationToken);
        }

        return SendOverHttpAsync(deployment, cancellationToken);
    }

    private async ValueTask<DeploymentAnswer> AskClientAsync(DeploymentRuntime deployment, IChatClient client, CancellationToken cancellationToken)
    {
        var result = await deployment.Invoker.InvokeAsync<ChatResponse, ClientTry>(Trace, RequestId, UpstreamPurpose.Client,
            new ClientTry(this, client, deployment, Messages, Options), static (t, call) => t.AskAsync(call), cancellationToken).ConfigureAwait(false);
        if (result.Failure is { } failure)
        {
            return new DeploymentAnswer(deployment, failure, result.Exception);
        }

        return new DeploymentAnswer(deployment, result) { Response = result.Answer };
    }

    private async ValueTask<DeploymentAnswer> StreamFromClientAsync(DeploymentRuntime deployment, IChatClient client, CancellationToken cancellationToken)
    {
        var result = await deployment.Invoker.InvokeAsync<StartedStream, ClientTry>(Trace, RequestId, UpstreamPurpose.Client,
            new ClientTry(this, client, deployment, Messages, Options), static (t, call) => t.StartStreamAsync(call), cancellationToken).ConfigureAwait(false);
        if (result.Failure is { } failure)
        {
            return new DeploymentAnswer(deployment, failure, result.Exception);
        }

        return new DeploymentAnswer(deployment, result) { ClientStream = result.Answer, Cancellation = result.Cancellation };
    }

    private async ValueTask<DeploymentAnswer> SendOverHttpAsync(DeploymentRuntime deployment, CancellationToken cancellationToken)
    {
        if (Unsupported is { } kind)
        {
            return new DeploymentAnswer(deployment, new UpstreamFailure(deployment.Name, FailureKind.Untranslatable, 400, "unsupported_content",
                $"Deployment '{deployment.Name}' is reached over HTTP, where OpenAI's chat format cannot carry content of type {kind}; give it an IChatClient."));
        }

        var result = await deployment.Invoker.SendAsync(Upstream, cancellationToken).ConfigureAwait(false);
        if (result.Failure is { } failure)
        {
            result.Dispose();
            return new DeploymentAnswer(deployment, failure);
        }

        if (Stream && result.IsEventStream)
        {
            // Committed on its first chunk, as the gateway's relay is.
            return new DeploymentAnswer(deployment, result) { HttpStream = result };
        }

        // A whole answer: read to its end (almost always buffered already), then turned into M.E.AI's types. An
        // answer that breaks or is not a chat completion fails before it is committed, so another deployment may serve.
        var whole = new ArrayBufferWriter<byte>(Math.Max(result.Buffered.Length, 1024));
        whole.Write(result.Buffered.Span);
        try
        {
            while (!result.IsComplete)
            {
                var n = await result.ReadAsync(whole.GetMemory(16 * 1024)).ConfigureAwait(false);
                whole.Advance(n);
            }
        }
        catch (UpstreamInterruptedException e)
        {
            result.Dispose();
            var timeout = e.Kind != InterruptionKind.Broken;
            return new DeploymentAnswer(deployment, new UpstreamFailure(deployment.Name, timeout ? FailureKind.Timeout : FailureKind.Connect, timeout ? 504 : 502,
                timeout ? "upstream_timeout" : "upstream_interrupted", $"Deployment '{deployment.Name}' broke off its answer ({e.Kind.ToString().ToLowerInvariant()})."));
        }

        var response = ChatResponseReader.ReadResponse(whole.WrittenSpan);
        if (response is null)
        {
            result.Dispose();
            return new DeploymentAnswer(deployment, new UpstreamFailure(deployment.Name, FailureKind.Connect, 502, "upstream_interrupted",
                $"Deployment '{deployment.Name}' answered with something that is not a chat completion."));
        }

        Facts.Read(whole.WrittenSpan);
        return new DeploymentAnswer(deployment, result) { Response = response };
    }

    /// <summary>One try of an in-process client: the call's messages and options, with the deployment's model.</summary>
    private readonly record struct ClientTry(ChatExchange Exchange, IChatClient Client, DeploymentRuntime Deployment, IEnumerable<ChatMessage> Messages, ChatOptions? Options)
    {
        public async ValueTask AskAsync(InProcessCall<ChatResponse> call)
        {
            try
            {
                call.Succeed(await Client.GetResponseAsync(Messages, OptionsFor(Exchange.Runtime, Deployment, Options), call.Cancellation.Token).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ChatFailures.Describe(e, call, Deployment.Provider.Adapter, Exchange.Runtime.Time.GetUtcNow());
            }
        }

        /// <summary>Starts the client's stream and waits for its first update: until then another deployment may serve.</summary>
        public async ValueTask StartStreamAsync(InProcessCall<StartedStream> call)
        {
            var idle = CancellationTokenSource.CreateLinkedTokenSource(call.Cancellation.Token);
            IAsyncEnumerator<ChatResponseUpdate>? enumerator = null;
            try
            {
                enumerator = Client.GetStreamingResponseAsync(Messages, OptionsFor(Exchange.Runtime, Deployment, Options), idle.Token).GetAsyncEnumerator(idle.Token);
                var first = await enumerator.MoveNextAsync().ConfigureAwait(false) ? enumerator.Current : null;
                call.Succeed(new StartedStream(enumerator, first, idle));
            }
            catch (Exception e)
            {
                if (enumerator is not null)
                {
                    await DisposeQuietlyAsync(enumerator).ConfigureAwait(false);
                }

                idle.Dispose();
                if (e is OperationCanceledException)
                {
                    throw;
                }

                ChatFailures.Describe(e, call, Deployment.Provider.Adapter, Exchange.Runtime.Time.GetUtcNow());
            }
        }
    }

    /// <summary>
    /// The options a deployment's client gets: the caller's, with <see cref="ChatOptions.ModelId"/> set to the
    /// deployment's model (null for a deployment added in code without one: the client's own default). Copied only
    /// when that changes them.
    /// </summary>
    internal static ChatOptions? OptionsFor(InProcessRuntime runtime, DeploymentRuntime deployment, ChatOptions? options)
    {
        var model = runtime.Modelless.Contains(deployment.Name) ? null : deployment.UpstreamModel;
        if (options?.ModelId == model)
        {
            return options;
        }

        var copy = options?.Clone() ?? new ChatOptions();
        copy.ModelId = model;
        return copy;
    }

    internal static async ValueTask DisposeQuietlyAsync(IAsyncEnumerator<ChatResponseUpdate> enumerator)
    {
        try
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A client that fails to clean up after a failed or finished stream changes nothing about the answer.
        }
    }
}
