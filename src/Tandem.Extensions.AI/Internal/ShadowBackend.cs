using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.AI;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Extensions.AI.Internal;

/// <summary>
/// How the shadow call and the judge of one in-process call reach their deployments (<see cref="IDeploymentBackend"/>):
/// a deployment with an <see cref="IChatClient"/> through the seam's <see cref="DeploymentInvoker.InvokeAsync"/> — with
/// the caller's own messages and options for the shadow call, and the judge's prompt read back from its OpenAI body —
/// and any other over HTTP (<see cref="DeploymentInvoker.CompleteAsync"/>), as in the gateway.
/// </summary>
internal sealed class ShadowBackend(InProcessRuntime runtime, byte[] body, IReadOnlyList<ChatMessage> messages, ChatOptions? options) : IDeploymentBackend
{
    public async Task<UpstreamReply> CompleteAsync(DeploymentRuntime deployment, UpstreamRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(request);
        if (!runtime.Clients.TryGetValue(deployment.Name, out var client))
        {
            return await deployment.Invoker.CompleteAsync(request, cancellationToken).ConfigureAwait(false);
        }

        // The shadow call is this call's own request; anything else (the judge's prompt) is read from its body.
        var own = MemoryMarshal.TryGetArray(request.Body, out var segment) && ReferenceEquals(segment.Array, body);
        var (callMessages, callOptions) = own ? (messages, options) : OwnPromptReader.Read(request.Body.Span);
        var start = Stopwatch.GetTimestamp();
        using var result = await deployment.Invoker.InvokeAsync<ChatResponse, (IChatClient Client, DeploymentRuntime Deployment, IEnumerable<ChatMessage> Messages, ChatOptions? Options, InProcessRuntime Runtime)>(
            request.Trace, request.RequestId, request.Purpose, (client, deployment, callMessages, callOptions, runtime),
            static async (s, call) =>
            {
                try
                {
                    call.Succeed(await s.Client.GetResponseAsync(s.Messages, ChatExchange.OptionsFor(s.Runtime, s.Deployment, s.Options), call.Cancellation.Token).ConfigureAwait(false));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    ChatFailures.Describe(e, call, s.Deployment.Provider.Adapter, s.Runtime.Time.GetUtcNow());
                }
            },
            cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(start);
        if (result.Failure is { } failure)
        {
            return new UpstreamReply { Failure = failure, Status = failure.UpstreamStatus, Elapsed = elapsed, RetryAfter = failure.RetryAfter };
        }

        var response = result.Answer!;
        var facts = new ResponseFacts
        {
            Model = response.ModelId,
            FinishReason = response.FinishReason?.Value,
            Content = new StringBuilder(response.Text),
            Usage = response.Usage is { } u
                ? new TokenUsage
                {
                    PromptTokens = (int)(u.InputTokenCount ?? 0),
                    CompletionTokens = (int)(u.OutputTokenCount ?? 0),
                    CachedTokens = (int)(u.CachedInputTokenCount ?? 0),
                    ReasoningTokens = (int)(u.ReasoningTokenCount ?? 0),
                }
                : null,
        };
        return new UpstreamReply { Status = 200, Facts = facts, Elapsed = elapsed };
    }
}
