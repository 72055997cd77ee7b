using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Tandem.Simulator;

/// <summary>
/// The AWS side of the simulator: SageMaker runtime (<c>/endpoints/{name}/invocations[-response-stream]</c>) and
/// Bedrock runtime (<c>/model/{id}/converse[-stream]</c>). Every request's SigV4 signature is verified first (a bad
/// one gets AWS's 403), then the usual answer keys, faults, latency and token settings apply; streams are AWS event
/// streams.
/// </summary>
public sealed partial class SimulatorServer
{
    /// <summary>How the AWS endpoints check signatures (keys, region, clock); changes apply to the next request.</summary>
    public AwsSimulatorOptions Aws { get; } = new();

    private void MapAws(WebApplication app)
    {
        app.MapPost("/endpoints/{endpoint}/invocations", ctx => HandleAwsAsync(ctx, "sagemaker", stream: false));
        app.MapPost("/endpoints/{endpoint}/invocations-response-stream", ctx => HandleAwsAsync(ctx, "sagemaker", stream: true));
        app.MapPost("/model/{model}/converse", ctx => HandleAwsAsync(ctx, "bedrock", stream: false));
        app.MapPost("/model/{model}/converse-stream", ctx => HandleAwsAsync(ctx, "bedrock", stream: true));
    }

    private async Task HandleAwsAsync(HttpContext ctx, string service, bool stream)
    {
        Stats.Enter();
        try
        {
            byte[] body;
            try
            {
                using var ms = new MemoryStream();
                await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted).ConfigureAwait(false);
                body = ms.ToArray();
            }
            catch (OperationCanceledException)
            {
                Stats.OnCancelled();
                return;
            }

            var options = Options;
            Stats.OnReceived(options.RecordRequests > 0 ? Capture(ctx, body) : null, options.RecordRequests);
            if (AwsSigV4Verifier.Verify(ctx, body, service, Aws) is { } denied)
            {
                Stats.OnRejected();
                await WriteAwsErrorAsync(ctx, 403, denied.Type, denied.Message).ConfigureAwait(false);
                return;
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(body);
            }
            catch (JsonException e)
            {
                Stats.OnRejected();
                await WriteAwsErrorAsync(ctx, 400, service == "bedrock" ? "ValidationException" : "ValidationError", "The request body is not valid JSON: " + e.Message).ConfigureAwait(false);
                return;
            }

            using (doc)
            {
                try
                {
                    if (service == "bedrock")
                    {
                        await HandleBedrockAsync(ctx, doc.RootElement, (string)ctx.Request.RouteValues["model"]!, stream, options).ConfigureAwait(false);
                    }
                    else
                    {
                        await HandleSageMakerAsync(ctx, doc.RootElement, (string)ctx.Request.RouteValues["endpoint"]!, stream, options).ConfigureAwait(false);
                    }

                    if (ctx.RequestAborted.IsCancellationRequested)
                    {
                        Stats.OnCancelled();
                    }
                    else
                    {
                        Stats.OnCompleted();
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
                {
                    Stats.OnCancelled();
                }
            }
        }
        finally
        {
            Stats.Leave();
        }
    }

    /// <summary>
    /// Picks a fault and applies the ones that replace the whole response; returns the fault (Abort is applied by
    /// the caller mid-answer) and whether the request is done. <paramref name="status"/> maps a status fault to the
    /// service's own error.
    /// </summary>
    private async Task<(FaultKind? Fault, bool Done)> AwsFaultAsync(HttpContext ctx, SimulatorOptions options, Random random, Func<FaultKind, (int Status, string Type, string Message, string? Json)> status)
    {
        var fault = PickFault(options, random);
        if (fault is null)
        {
            return (null, false);
        }

        Stats.OnFault();
        switch (fault.Value)
        {
            case FaultKind.Status500 or FaultKind.Status503 or FaultKind.Status429:
                var (code, type, message, json) = status(fault.Value);
                if (fault.Value == FaultKind.Status429)
                {
                    ctx.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                }

                await WriteAwsErrorAsync(ctx, code, type, message, json).ConfigureAwait(false);
                return (fault, true);
            case FaultKind.Reset or FaultKind.Stall:
                return (fault, await ApplyFaultBeforeResponseAsync(ctx, fault.Value, options, Stats).ConfigureAwait(false));
            default:
                return (fault, false);
        }
    }

    /// <summary>An AWS JSON error: <c>{"message": …}</c> (or a service's own body) with its type in <c>x-amzn-ErrorType</c>.</summary>
    private static Task WriteAwsErrorAsync(HttpContext ctx, int status, string type, string message, string? json = null)
    {
        ctx.Response.Headers["x-amzn-ErrorType"] = type + ":http://internal.amazon.com/coral/com.amazon.simulator/";
        ctx.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        if (json is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength = bytes.Length;
            return ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted).AsTask();
        }

        return WriteJsonAsync(ctx, status, w =>
        {
            w.WriteStartObject();
            w.WriteString("message", message);
            w.WriteEndObject();
        });
    }

    /// <summary>Starts an event-stream response.</summary>
    private static void StartEventStream(HttpContext ctx, string? containerContentType = null)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/vnd.amazon.eventstream";
        ctx.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        if (containerContentType is not null)
        {
            ctx.Response.Headers["X-Amzn-SageMaker-Content-Type"] = containerContentType;
        }

        ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    private static async Task WriteFlushedAsync(HttpContext ctx, byte[] message)
    {
        await ctx.Response.Body.WriteAsync(message, ctx.RequestAborted).ConfigureAwait(false);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Frames everything written to it as SageMaker <c>PayloadPart</c> events, each write cut into two parts, so that
    /// a reader must join lines (and events) that arrive split across parts, as real endpoints split them.
    /// </summary>
    private sealed class PayloadPartStream(HttpContext ctx, Stream inner) : Stream
    {
        private bool _started;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty)
            {
                return;
            }

            if (!_started)
            {
                _started = true;
                StartEventStream(ctx, "text/event-stream");
            }

            var half = Math.Max(1, buffer.Length / 2);
            await inner.WriteAsync(AwsEventStreamWriter.Event("PayloadPart", "application/octet-stream", buffer.Span[..half]), cancellationToken).ConfigureAwait(false);
            if (half < buffer.Length)
            {
                await inner.WriteAsync(AwsEventStreamWriter.Event("PayloadPart", "application/octet-stream", buffer.Span[half..]), cancellationToken).ConfigureAwait(false);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
