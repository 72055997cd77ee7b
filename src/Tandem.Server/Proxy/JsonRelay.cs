using System.Diagnostics;
using Tandem.Upstream;

namespace Tandem.Server.Proxy;

/// <summary>
/// Relays a non-streamed answer. The seam has read it whole when it is at most 1 MiB (almost always), so it goes out
/// in one write with its length; a larger one is relayed as it arrives. Facts (usage, model) are read from the
/// buffered body.
/// </summary>
internal static class JsonRelay
{
    public static async Task RelayAsync(Exchange x, UpstreamResult result)
    {
        var response = x.Http.Response;
        ProxyResponses.Start(x, result);
        response.ContentType = result.ContentType;
        var buffered = result.Buffered;
        if (result.IsComplete)
        {
            x.Facts.Read(buffered.Span);
            response.ContentLength = buffered.Length;
            ProxyResponses.Write(response.BodyWriter, buffered.Span);
            x.Succeed(result.Status);
            x.ResponseComplete = true;
            await ProxyResponses.FlushAsync(x, response.BodyWriter, x.Http.RequestAborted).ConfigureAwait(false);
            return;
        }

        // Larger than the buffer: committed now, relayed as it arrives. Its facts are not read (a body this large is
        // an embeddings batch or similar; its usage is estimated when the deployment is set to).
        var pipe = response.BodyWriter;
        ProxyResponses.Write(pipe, buffered.Span);
        try
        {
            while (true)
            {
                var memory = pipe.GetMemory(16 * 1024);
                var readStart = Stopwatch.GetTimestamp();
                var n = await result.ReadAsync(memory).ConfigureAwait(false);
                x.Trace.WaitTicks += Stopwatch.GetTimestamp() - readStart;
                if (n == 0)
                {
                    break;
                }

                pipe.Advance(n);
                await ProxyResponses.FlushAsync(x, pipe, x.Http.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (UpstreamInterruptedException e)
        {
            // Committed: the client has part of a body, so the only honest end is a cut connection.
            SseRelay.RecordInterruption(x, e);
            x.Http.Abort();
            return;
        }

        x.Succeed(result.Status);
        x.ResponseComplete = true;
    }
}
