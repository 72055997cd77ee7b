using Tandem.Upstream;
using Xunit;

namespace Tandem.Core.Tests.Upstream;

/// <summary>
/// <see cref="TryDeadline"/>: the in-process tries' cancellation is reused from try to try (issue 17's allocation budget),
/// and nothing of an earlier try — its registrations, its caller, a late timer callback — ever cancels a later one.
/// </summary>
public sealed class TryDeadlineTests
{
    private static Task Cancelled(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => cancelled.TrySetResult());
        return cancelled.Task;
    }

    [Fact]
    public void Released_BeforeItsDeadline_IsReused_WithoutTheEarlierTrysRegistrations()
    {
        var pool = new TryDeadlinePool(4);
        var first = pool.Rent(CancellationToken.None);
        var calledBack = 0;
        first.Source.Token.Register(() => calledBack++);
        first.CancelAfter(TimeSpan.FromHours(1));

        first.Release();
        var second = pool.Rent(CancellationToken.None);

        Assert.Same(first, second);
        Assert.Equal(0, pool.Count);
        Assert.False(second.Source.IsCancellationRequested);
        second.Source.Cancel();
        Assert.Equal(0, calledBack); // the earlier try's registration went with it
    }

    [Fact]
    public void LateTimerCallback_OfAnEarlierTry_DoesNotCancelTheNextTry()
    {
        var pool = new TryDeadlinePool(4);
        var first = pool.Rent(CancellationToken.None);
        first.CancelAfter(TimeSpan.FromHours(1));
        first.Release();

        // A callback queued for the earlier arming runs now, before and after the next try sets its own deadline.
        var next = pool.Rent(CancellationToken.None);
        Assert.Same(first, next);
        next.OnTimer();
        next.CancelAfter(TimeSpan.FromHours(1));
        next.OnTimer();

        Assert.False(next.Source.IsCancellationRequested);
    }

    [Fact]
    public async Task Deadline_Fires_CancelsTheTry_WhichIsThenNeverReused()
    {
        var pool = new TryDeadlinePool(4);
        var deadline = pool.Rent(CancellationToken.None);
        var cancelled = Cancelled(deadline.Source.Token);

        deadline.CancelAfter(TimeSpan.FromHours(1));
        deadline.CancelAfter(TimeSpan.FromMilliseconds(1)); // the later deadline replaces the earlier one
        await cancelled.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        deadline.Release();

        Assert.Equal(0, pool.Count);
        Assert.NotSame(deadline, pool.Rent(CancellationToken.None));
    }

    [Fact]
    public void CallersCancellation_CancelsTheTry_WhichIsThenDisposed_NotReused()
    {
        var pool = new TryDeadlinePool(4);
        using var caller = new CancellationTokenSource();
        var deadline = pool.Rent(caller.Token);

        caller.Cancel();
        Assert.True(deadline.Source.IsCancellationRequested);
        deadline.Release();

        Assert.Equal(0, pool.Count);
        Assert.Throws<ObjectDisposedException>(() => deadline.Source.Token);
    }

    [Fact]
    public void CallerCancelling_AfterRelease_ReachesNoLaterTry()
    {
        var pool = new TryDeadlinePool(4);
        using var caller = new CancellationTokenSource();
        var first = pool.Rent(caller.Token);
        first.Release();

        var next = pool.Rent(CancellationToken.None);
        caller.Cancel();

        Assert.Same(first, next);
        Assert.False(next.Source.IsCancellationRequested);
    }

    [Fact]
    public void Releases_BeyondCapacity_AreDisposed()
    {
        var pool = new TryDeadlinePool(2);
        var deadlines = new[] { pool.Rent(CancellationToken.None), pool.Rent(CancellationToken.None), pool.Rent(CancellationToken.None) };

        foreach (var deadline in deadlines)
        {
            deadline.Release();
        }

        Assert.Equal(2, pool.Count);
        Assert.Throws<ObjectDisposedException>(() => deadlines[2].Source.Token);
        Assert.Equal([deadlines[0], deadlines[1]], new[] { pool.Rent(CancellationToken.None), pool.Rent(CancellationToken.None) });
    }

    [Fact]
    public async Task InProcessTry_CallerCancelsMidTry_TheTrysTokenIsCancelled_AndTheCallerSeesTheCancellation()
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
        var sawCancellation = false;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            using var result = await deployment.Invoker.InvokeAsync<string, CancellationTokenSource>(new UpstreamTrace(), "req-1", UpstreamPurpose.Client, caller,
                async (callerSource, call) =>
                {
                    await callerSource.CancelAsync();
                    sawCancellation = call.Cancellation.IsCancellationRequested;
                    call.Cancellation.Token.ThrowIfCancellationRequested();
                },
                caller.Token);
        });

        Assert.True(sawCancellation);
    }
}
