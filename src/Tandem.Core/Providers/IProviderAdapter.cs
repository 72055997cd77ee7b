using System.Buffers;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Providers;

/// <summary>
/// Speaks one provider's protocol for the upstream seam (<see cref="DeploymentInvoker"/>). The seam owns everything
/// that is the same for every provider — the limiter, retries and breaker, replica choice and ejection, timeouts,
/// failure classification and Retry-After — and asks the adapter only what differs: the body and URL of a call, its
/// credentials, and how to read the answer and the errors back in OpenAI's format.
/// </summary>
/// <remarks>
/// <para>An OpenAI-compatible adapter passes bytes through (only <c>model</c> is rewritten, by splicing). A translating
/// adapter (Anthropic, Gemini, SageMaker…) writes its own body and returns a <see cref="Stream"/> that yields OpenAI
/// bytes — a JSON response, or <c>text/event-stream</c> chunks — so that the relays, records, shadow comparison and
/// eval read every provider the same way. Nothing outside the adapter knows the provider's protocol.</para>
/// <para>One adapter instance serves one provider runtime, across requests and threads: keep it free of per-call state.</para>
/// </remarks>
public interface IProviderAdapter
{
    /// <summary>Whether the provider can serve <paramref name="operation"/>; others are refused with a 400 before any call.</summary>
    bool Supports(ApiOperation operation);

    /// <summary>
    /// Writes the upstream request body of one call (once per call: retries reuse it). Returns false, with the problem
    /// (naming the field), when the request cannot be expressed in the provider's protocol.
    /// </summary>
    bool TryWriteBody(UpstreamRequest request, DeploymentRuntime deployment, IBufferWriter<byte> output, out RequestProblem problem);

    /// <summary>
    /// Builds one try's HTTP request to <paramref name="endpoint"/>: method, URL, content, credentials and protocol
    /// headers (a signing adapter signs <paramref name="body"/> here). The seam adds Tandem's own headers.
    /// </summary>
    ValueTask<HttpRequestMessage> CreateMessageAsync(UpstreamRequest request, DeploymentRuntime deployment, UpstreamEndpoint endpoint, ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

    /// <summary>
    /// The body of a 2xx answer in OpenAI's format. A pass-through adapter returns <paramref name="body"/> itself; a
    /// translating one wraps it.
    /// </summary>
    OpenAiContent ReadContent(HttpResponseMessage response, Stream body, UpstreamRequest request, DeploymentRuntime deployment);

    /// <summary>Reads what a non-2xx answer says: a message for the client and what kind of problem it is.</summary>
    ProviderError ReadError(int status, ReadOnlySpan<byte> body);

    /// <summary>The request of an active health check of one replica (<c>health_check.path</c> relative to its base URL).</summary>
    HttpRequestMessage CreateHealthCheck(UpstreamEndpoint endpoint, string path);

    /// <summary>
    /// The request that lists the provider's models in OpenAI's shape (<c>GET /v1/models</c>), whose entries may carry
    /// a <c>shutdown_date</c>; null when the provider has no such listing.
    /// </summary>
    HttpRequestMessage? CreateModelListing(UpstreamEndpoint endpoint) => null;
}

/// <summary>An answer's body in OpenAI's wire format.</summary>
/// <param name="Body">The bytes: a JSON document, or <c>text/event-stream</c> events.</param>
/// <param name="IsEventStream">Whether <paramref name="Body"/> is a server-sent event stream.</param>
/// <param name="ContentType">The content type to give the client.</param>
public readonly record struct OpenAiContent(Stream Body, bool IsEventStream, string ContentType);

/// <summary>What a provider's error answer says.</summary>
/// <param name="Message">The provider's message, when it gave one.</param>
/// <param name="Kind">What it means, when the adapter could tell.</param>
/// <param name="RetryAfter">A wait the provider asked for in its body (Google's <c>RetryInfo</c>), used when no header gives one.</param>
public readonly record struct ProviderError(string? Message, ProviderErrorKind Kind, TimeSpan? RetryAfter = null);

/// <summary>Meanings of provider errors that change what Tandem does next.</summary>
public enum ProviderErrorKind
{
    /// <summary>Nothing beyond the status.</summary>
    Unspecified,

    /// <summary>The prompt does not fit the context window: only a deployment with a larger window may help.</summary>
    ContextLength,

    /// <summary>The provider is overloaded (e.g. Anthropic's 529): transient, like a 503.</summary>
    Overloaded,

    /// <summary>
    /// The provider throttles the caller whatever its status (e.g. SageMaker's 400 ThrottlingException): treated as a
    /// 429 — retried within the Retry-After bound, then the next deployment — and never counted against the breaker.
    /// </summary>
    RateLimited,

    /// <summary>
    /// The provider refused Tandem's credential or configuration whatever its status (e.g. Google's 400 for an
    /// invalid API key): Tandem's problem, not the client's, so another deployment may serve and the message is not echoed.
    /// </summary>
    Rejected,
}

/// <summary>Builds the adapter of one provider from its configuration and resolved credential.</summary>
public delegate IProviderAdapter ProviderAdapterFactory(ProviderAdapterContext context);

/// <summary>What an adapter factory gets.</summary>
/// <param name="Config">The provider's configuration.</param>
/// <param name="Credential">The credential read from <c>api_key_env</c>, when set.</param>
public sealed record ProviderAdapterContext(Configuration.ProviderConfig Config, string? Credential)
{
    /// <summary>The clock (token and credential expiry, request signing): the snapshot's.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
