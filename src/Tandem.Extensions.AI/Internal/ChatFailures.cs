using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Sockets;
using Tandem.Providers;
using Tandem.Upstream;

namespace Tandem.Extensions.AI.Internal;

/// <summary>
/// Says what an in-process client's exception means, in the seam's terms (status, transport error label, what the error
/// body said, Retry-After), so that the one classifier decides retry, breaker, fallback and the caller's error as it
/// does for HTTP: an <see cref="HttpRequestException"/> with or without a status (Microsoft.Extensions.AI clients over
/// <c>HttpClient</c>, Ollama), a <see cref="ClientResultException"/> with its raw response (the official OpenAI SDK and
/// every System.ClientModel client), a <see cref="TimeoutException"/>, a broken connection. The error body is read by
/// the deployment's provider adapter, as an HTTP error body would be (context-length errors, overload, messages).
/// Cancellations are not described here: the seam tells the caller's from the try's timeouts.
/// </summary>
internal static class ChatFailures
{
    private const int MaxErrorBodyBytes = 64 * 1024;

    public static void Describe<TAnswer>(Exception exception, InProcessCall<TAnswer> call, IProviderAdapter adapter, DateTimeOffset now)
        where TAnswer : class
    {
        call.Exception = exception;
        switch (exception)
        {
            case ClientResultException { Status: > 0 } result:
                call.Status = result.Status;
                var raw = result.GetRawResponse();
                var body = raw is null ? [] : Body(raw);
                call.ErrorBody = body;
                call.ProviderError = WithMessage(adapter.ReadError(result.Status, body), result.Message);
                call.RetryAfter = (raw is null ? null : RetryAfter.Read(Header(raw, "retry-after-ms"), Header(raw, "retry-after"), now)) ?? call.ProviderError.RetryAfter;
                break;
            case ClientResultException { InnerException: { } inner }:
                // No response: the transport failed underneath.
                Transport(inner, call);
                break;
            case HttpRequestException { StatusCode: { } status } http:
                call.Status = (int)status;
                call.ProviderError = WithMessage(adapter.ReadError(call.Status, []), http.Message);
                break;
            case TimeoutException:
                call.Error = "timeout";
                break;
            default:
                Transport(exception, call);
                break;
        }
    }

    private static void Transport(Exception exception, CallOutcome call)
    {
        switch (exception)
        {
            case HttpRequestException { StatusCode: null } http:
                call.Error = http.HttpRequestError switch
                {
                    HttpRequestError.ConnectionError => "connect",
                    HttpRequestError.NameResolutionError => "dns",
                    HttpRequestError.SecureConnectionError => "tls",
                    _ => "connection_reset",
                };
                break;
            case IOException or SocketException:
                call.Error = "connection_reset";
                break;
            case TimeoutException:
                call.Error = "timeout";
                break;
            default:
                call.Error = "exception";
                call.Detail = exception.GetType().Name + ": " + exception.Message;
                break;
        }
    }

    private static ProviderError WithMessage(ProviderError error, string message) =>
        error.Message is null ? error with { Message = message } : error;

    private static string? Header(PipelineResponse response, string name) =>
        response.Headers.TryGetValue(name, out var value) ? value : null;

    private static byte[] Body(PipelineResponse response)
    {
        try
        {
            var content = response.Content.ToMemory();
            return content.Length <= MaxErrorBodyBytes ? content.ToArray() : content[..MaxErrorBodyBytes].ToArray();
        }
        catch (InvalidOperationException)
        {
            // The body was streamed and not buffered: the status says enough.
            return [];
        }
    }
}
