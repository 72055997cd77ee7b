using Microsoft.Extensions.DependencyInjection;
using Tandem.Records;
using Tandem.Storage;

namespace Tandem.FunctionalTests.Infrastructure;

/// <summary>Access to a test gateway's record writer and store, and waits on their state.</summary>
internal static class RecordsHelpers
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static RecordWriter Writer(this TestGateway gateway) => gateway.App.Services.GetRequiredService<RecordWriter>();

    public static IRecordStore Store(this TestGateway gateway) => gateway.App.Services.GetRequiredService<IRecordStore>();

    /// <summary>
    /// Waits until <paramref name="count"/> records have been handed over and each written or dropped. A record is
    /// handed over after its response completes, so waiting for an empty queue alone could return too early.
    /// </summary>
    public static Task WaitForRecordsAsync(this TestGateway gateway, long count, CancellationToken cancellationToken)
    {
        var writer = gateway.Writer();
        return Until(() => writer.Written + writer.Dropped >= count && writer.Held == 0, $"{count} records written or dropped", cancellationToken);
    }

    /// <summary>Waits for the record of <paramref name="requestId"/> to be readable from the store.</summary>
    public static async Task<RequestRecord> RecordAsync(this TestGateway gateway, string requestId, CancellationToken cancellationToken)
    {
        RequestRecord? record = null;
        await UntilAsync(async () => (record = await gateway.Store().GetAsync(requestId, cancellationToken)) is not null, "record " + requestId, cancellationToken);
        return record!;
    }

    public static Task Until(Func<bool> condition, string what, CancellationToken cancellationToken) =>
        UntilAsync(() => Task.FromResult(condition()), what, cancellationToken);

    /// <summary>Polls a condition until it holds; fails after 30 s (a wait on a condition, not a timed sleep).</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }

            await Task.Delay(20, cancellationToken);
        }
    }
}
