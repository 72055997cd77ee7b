using System.Collections.Concurrent;
using System.Net;
using Tandem.Configuration;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Tandem.Storage;
using Xunit;

namespace Tandem.FunctionalTests;

public sealed class StorageOutageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PostgresStoppedDuringLoad_EveryRequestServed_WritingResumes_WrittenPlusDroppedEqualsServed()
    {
        await using var pg = await PrivatePostgres.StartAsync(Ct);
        var variable = "TANDEM_OUTAGE_PG_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(variable, pg.ConnectionString);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 3 }, cancellationToken: Ct);
        var config = Configs.Single + $$"""

            storage:
              engine: postgres
              connection_string_env: {{variable}}
              queue_capacity: 40
              batch_size: 10
            """;
        var gateway = await TestGateway.StartAsync(config, sim);
        var writer = gateway.Writer();
        long served = 0;
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        try
        {
            var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    using var response = await gateway.Http.PostAsync("v1/chat/completions",
                        ChatCompletionsTests.Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);
                    await response.Content.ReadAsByteArrayAsync(Ct);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        failures.Enqueue(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }

                    Interlocked.Increment(ref served);
                }
            }, Ct)).ToList();

            // Healthy: records flow.
            await RecordsHelpers.Until(() => writer.Written >= 20, "20 records written", Ct);

            // Outage under load: requests keep being served, records queue up to the bound, then are dropped.
            await pg.StopServerAsync(Ct);
            var servedAtStop = Interlocked.Read(ref served);
            await RecordsHelpers.Until(() => writer.Failing && writer.Dropped > 0 && Interlocked.Read(ref served) > servedAtStop + 60, "drops during the outage", Ct);
            Assert.InRange(writer.Held, 0, 40);
            using (var ready = await gateway.Http.GetAsync("readyz", Ct))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            }

            // Recovery: the held batch and the queue are written, and new records follow.
            await pg.StartServerAsync(Ct);
            var writtenAtRestart = writer.Written;
            await RecordsHelpers.Until(() => !writer.Failing && writer.Written >= writtenAtRestart + 60, "writing to resume", Ct);
            using (var ready = await gateway.Http.GetAsync("readyz", Ct))
            {
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            }

            await stop.CancelAsync();
            await Task.WhenAll(load);
        }
        finally
        {
            await stop.CancelAsync();
            await gateway.DisposeAsync(); // stops the host: drains requests, then flushes the writer
        }

        Assert.Empty(failures);
        Assert.True(writer.Dropped > 0);
        Assert.Equal(Interlocked.Read(ref served), writer.Written + writer.Dropped);
        await using var database = StorageFactory.OpenPostgres(pg.ConnectionString, new StorageConfig());
        Assert.Equal(writer.Written, await database.Records.CountAsync(cancellationToken: Ct));
        Environment.SetEnvironmentVariable(variable, null);
    }
}
