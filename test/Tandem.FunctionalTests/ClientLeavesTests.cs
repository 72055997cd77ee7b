using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Server.Proxy;
using Tandem.Simulator;
using Tandem.Wire;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// A client that goes away is recorded as 499 only when it left before it had the whole answer: one that closes its
/// connection as the last bytes go out was served (200, with the usage the upstream reported).
/// </summary>
public sealed class ClientLeavesTests
{
    [Theory]
    [InlineData(false, 1, 200)]  // non-streamed: one flush, the client leaves with it
    [InlineData(true, 99, 200)]  // streamed: the client leaves on the last flush, after [DONE]
    [InlineData(true, 2, 499)]   // streamed: the client leaves after the first events (chunks come 50 ms apart)
    public async Task ClientClosesOnAFlush_IsRecordedAsServedOnlyWhenTheAnswerWasWhole(bool stream, int leaveOnFlush, int expectedStatus)
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 10, TokensPerSecond = 20 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);
        var proxy = gateway.App.Services.GetRequiredService<ChatProxy>();
        var id = $"leaves-{stream}-{leaveOnFlush}";
        var body = Encoding.UTF8.GetBytes($$"""{"model":"chat","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""");
        using var aborted = new CancellationTokenSource();
        var ctx = new DefaultHttpContext { RequestServices = gateway.App.Services, RequestAborted = aborted.Token };
        ctx.Request.Method = "POST";
        ctx.Request.Headers.Authorization = "Bearer " + TestGateway.Key;
        ctx.Request.Headers["x-request-id"] = id;
        ctx.Request.ContentLength = body.Length;
        ctx.Request.Body = new MemoryStream(body);
        var output = new LeavingClient(aborted, leaveOnFlush);
        ctx.Features.Set<IHttpResponseBodyFeature>(output);

        await proxy.HandleAsync(ctx, ApiOperation.ChatCompletions);

        var record = await gateway.RecordAsync(id, Ct);
        Assert.Equal(expectedStatus, record.Status);
        if (expectedStatus == 200)
        {
            Assert.Null(record.Error);
            Assert.False(record.TokensEstimated);
            Assert.Equal(10, record.CompletionTokens);
        }
        else
        {
            Assert.Equal("client_closed", record.Error);
        }
    }

    /// <summary>A response body whose client goes away on its n-th flush (or the last one, whichever comes first).</summary>
    private sealed class LeavingClient : IHttpResponseBodyFeature
    {
        private readonly LeavingWriter _writer;

        public LeavingClient(CancellationTokenSource aborted, int leaveOnFlush)
        {
            Stream = new MemoryStream();
            _writer = new LeavingWriter(PipeWriter.Create(Stream, new StreamPipeWriterOptions(leaveOpen: true)), (MemoryStream)Stream, aborted, leaveOnFlush);
        }

        public Stream Stream { get; }

        public PipeWriter Writer => _writer;

        public Task CompleteAsync() => _writer.CompleteAsync().AsTask();

        public void DisableBuffering()
        {
        }

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        private sealed class LeavingWriter(PipeWriter inner, MemoryStream written, CancellationTokenSource aborted, int leaveOnFlush) : PipeWriter
        {
            private int _flushes;

            public override void Advance(int bytes) => inner.Advance(bytes);

            public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

            public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

            public override void CancelPendingFlush() => inner.CancelPendingFlush();

            public override void Complete(Exception? exception = null) => inner.Complete(exception);

            public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
            {
                await inner.FlushAsync(cancellationToken);
                if (++_flushes < leaveOnFlush && !EndedStream())
                {
                    return new FlushResult(isCanceled: false, isCompleted: false);
                }

                // The bytes went out; then the client closed its connection.
                await aborted.CancelAsync();
                return new FlushResult(isCanceled: false, isCompleted: true);
            }

            // The last bytes of a stream: its [DONE] event.
            private bool EndedStream() => Encoding.UTF8.GetString(written.ToArray()).EndsWith("data: [DONE]\n\n", StringComparison.Ordinal);
        }
    }
}
