using Tandem.Upstream;
using Xunit;

namespace Tandem.Core.Tests.Upstream;

/// <summary>
/// <see cref="TokenSourcePool"/>: the in-process tries' timeout sources are reused only when nothing of an earlier call
/// can reach the next one (issue 17's allocation budget without a shared token ever firing for the wrong call).
/// </summary>
public sealed class TokenSourcePoolTests
{
    [Fact]
    public void Returned_UncancelledSource_IsRentedAgain_WithItsTimerStoppedAndItsRegistrationsGone()
    {
        var pool = new TokenSourcePool(4);
        var source = pool.Rent();
        var calledBack = 0;
        source.Token.Register(() => calledBack++);
        source.CancelAfter(TimeSpan.FromHours(1));

        pool.Return(source);
        var again = pool.Rent();

        Assert.Same(source, again);
        Assert.Equal(0, pool.Count);
        Assert.False(again.IsCancellationRequested);
        again.Cancel();
        Assert.Equal(0, calledBack); // the earlier call's registration was removed when it came back
    }

    [Fact]
    public void Returned_CancelledSource_IsDisposed_NeverRentedAgain()
    {
        var pool = new TokenSourcePool(4);
        var source = pool.Rent();
        source.Cancel();

        pool.Return(source);

        Assert.Equal(0, pool.Count);
        Assert.Throws<ObjectDisposedException>(() => source.Token);
        var next = pool.Rent();
        Assert.NotSame(source, next);
        Assert.False(next.IsCancellationRequested);
    }

    [Fact]
    public void Returns_BeyondCapacity_AreDisposed()
    {
        var pool = new TokenSourcePool(2);
        var sources = new[] { pool.Rent(), pool.Rent(), pool.Rent() };

        foreach (var source in sources)
        {
            pool.Return(source);
        }

        Assert.Equal(2, pool.Count);
        Assert.Throws<ObjectDisposedException>(() => sources[2].Token);
        Assert.Equal([sources[0], sources[1]], new[] { pool.Rent(), pool.Rent() });
        Assert.Equal(0, pool.Count);
    }

    [Fact]
    public async Task InProcessTry_CallerCancelsMidTry_TheTrysTokenIsCancelled_AndItsSourceIsNotPooled()
    {
        var deployment = new FakeUpstream().Build("""
            auth: { disabled: true }
            providers:
              - { name: p, base_url: "http://a.invalid/v1" }
            deployments:
              - { name: d, provider: p, model: m, resilience: { retries: 0 } }
            routes:
              - { name: r, deployment: d }
            """).Deployments["d"];
        using var caller = new CancellationTokenSource();
        CancellationTokenSource? trySource = null;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            using var result = await deployment.Invoker.InvokeAsync<string, CancellationTokenSource>(new UpstreamTrace(), "req-1", UpstreamPurpose.Client, caller,
                async (callerSource, call) =>
                {
                    trySource = call.Cancellation;
                    await callerSource.CancelAsync();
                    Assert.True(call.Cancellation.IsCancellationRequested); // the caller's token reaches the try's
                    call.Cancellation.Token.ThrowIfCancellationRequested();
                },
                caller.Token);
        });

        Assert.NotNull(trySource);
        Assert.Throws<ObjectDisposedException>(() => trySource.Token);
    }
}
