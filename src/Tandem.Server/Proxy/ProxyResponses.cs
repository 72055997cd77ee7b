using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Server.Proxy;

/// <summary>How Tandem starts and writes responses: its own headers, relayed upstream headers, errors and bodies.</summary>
internal static class ProxyResponses
{
    /// <summary>Status, Tandem's headers and the relayed upstream headers of an answer.</summary>
    public static void Start(Exchange x, UpstreamResult result)
    {
        var response = x.Http.Response;
        response.StatusCode = result.Status;
        var headers = response.Headers;
        WriteTandemHeaders(x, headers);
        if (result.Headers is { } upstream)
        {
            foreach (var (name, values) in upstream.NonValidated)
            {
                if (RelayedHeaders.RelayedName(name) is { } relayedName)
                {
                    headers[relayedName] = values.ToString();
                }
            }
        }

        LimitGate.WriteHeaders(x, headers);
        WriteOverheadHeader(x, headers);
    }

    /// <summary>Answers the client when no deployment of the plan could serve.</summary>
    public static async Task WriteFailureAsync(Exchange x, UpstreamFailure failure)
    {
        x.Fail(failure.Status, failure.Code);
        var headers = x.Http.Response.Headers;
        foreach (var (name, value) in failure.Headers)
        {
            headers[name] = value;
        }

        LimitGate.WriteHeaders(x, headers);

        if (failure.RetryAfter is { } retryAfter)
        {
            headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(Math.Min(retryAfter.TotalSeconds, int.MaxValue))).ToString(CultureInfo.InvariantCulture);
        }

        if (failure.Body is { } body)
        {
            Prepare(x, failure.Status);
            await WriteBodyAsync(x, body).ConfigureAwait(false);
            return;
        }

        await WriteErrorAsync(x, failure.Status, failure.Message, failure.ErrorType, failure.Param, failure.Code).ConfigureAwait(false);
    }

    /// <summary>Writes an OpenAI-shaped error with Tandem's headers.</summary>
    public static async Task WriteErrorAsync(Exchange x, int status, string message, string type, string? param, string? code)
    {
        Prepare(x, status);
        await WriteBodyAsync(x, OpenAiError.Body(message, type, param, code)).ConfigureAwait(false);
    }

    /// <summary>Writes a whole JSON body and marks the response complete.</summary>
    public static async Task WriteBodyAsync(Exchange x, ReadOnlyMemory<byte> body)
    {
        var response = x.Http.Response;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        var pipe = response.BodyWriter;
        Write(pipe, body.Span);
        x.ResponseComplete = true;
        await FlushAsync(x, pipe, x.Http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Status and Tandem's own headers for a response Tandem writes itself.</summary>
    public static void Prepare(Exchange x, int status)
    {
        var response = x.Http.Response;
        response.StatusCode = status;
        WriteTandemHeaders(x, response.Headers);
        WriteOverheadHeader(x, response.Headers);
    }

    public static void Write(PipeWriter pipe, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(pipe.GetSpan(bytes.Length));
        pipe.Advance(bytes.Length);
    }

    /// <summary>Flushes to the client, counting the wait; throws when the client went away.</summary>
    public static async ValueTask FlushAsync(Exchange x, PipeWriter pipe, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var result = await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
        x.ClientWaitTicks += Stopwatch.GetTimestamp() - start;
        if (result.IsCanceled || result.IsCompleted)
        {
            throw new OperationCanceledException("client went away");
        }
    }

    /// <summary>Header values must be visible ASCII: anything else (e.g. from a judge's reason) becomes '?'.</summary>
    public static string AsciiHeader(string value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return string.Create(value.Length, value, static (span, v) =>
                {
                    for (var i = 0; i < v.Length; i++)
                    {
                        span[i] = v[i] is < ' ' or > '~' ? '?' : v[i];
                    }
                });
            }
        }

        return value;
    }

    private static void WriteTandemHeaders(Exchange x, IHeaderDictionary headers)
    {
        if (x.Route is not null)
        {
            headers["x-tandem-route"] = x.Route.Name;
        }

        if (x.Deployment is not null)
        {
            headers["x-tandem-deployment"] = x.Deployment.Name;
        }

        if (x.Record.Decision.Length > 0)
        {
            headers["x-tandem-decision"] = AsciiHeader(x.Record.Decision);
        }
    }

    /// <summary>Time in Tandem so far: everything since arrival except waiting on upstreams.</summary>
    private static void WriteOverheadHeader(Exchange x, IHeaderDictionary headers)
    {
        var overhead = Stopwatch.GetElapsedTime(x.Start).TotalMilliseconds - Stopwatch.GetElapsedTime(0, x.UpstreamWaitTicks).TotalMilliseconds;
        headers["x-tandem-overhead-ms"] = Math.Max(0, overhead).ToString("0.000", CultureInfo.InvariantCulture);
    }
}
