using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Tandem.LoadRunner;

/// <summary>One kind of request sent to one target.</summary>
internal sealed record RequestSpec(Uri Url, byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Headers, bool Stream)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public HttpRequestMessage Create()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Url)
        {
            Version = HttpVersion.Version11,
            Content = new ByteArrayContent(Body),
        };
        request.Content.Headers.ContentType = Json;
        foreach (var (name, value) in Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }
}

/// <summary>Latency percentiles in microseconds.</summary>
internal sealed record Percentiles(double P50, double P90, double P99, double Max)
{
    public static Percentiles? Of(List<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        values.Sort();
        return new Percentiles(At(values, 0.50), At(values, 0.90), At(values, 0.99), values[^1]);
    }

    private static double At(List<double> sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}

/// <summary>What one load phase measured on the client side.</summary>
internal sealed record LoadSample(string Generator, long Sent, long Ok, long Errors, double Seconds, Percentiles? Latency, Percentiles? FirstByte, Percentiles? DispatchLag)
{
    public double Throughput => Seconds > 0 ? Ok / Seconds : 0;
}

/// <summary>
/// Fixed-rate (open-loop) load with coordinated-omission correction, in the manner of wrk2: request i is due at
/// t0 + i/rate whatever happened to earlier requests, and its latency is measured from that intended time, so a
/// stall of the target counts against every request that should have been sent during it. One dispatcher thread
/// sleeps with 1 ns timer slack (usleep) until each due time; responses are read on the thread pool.
/// </summary>
internal static class OpenLoop
{
    public static async Task<LoadSample> RunAsync(HttpMessageInvoker client, RequestSpec spec, int rate, TimeSpan duration, TimeSpan drain)
    {
        var n = Math.Max(1, (int)(rate * duration.TotalSeconds));
        var intended = new long[n];
        var sent = new long[n];
        var first = new long[n];
        var end = new long[n];
        var state = new int[n]; // 0 pending, 1 ok, 2 error
        var remaining = n;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();
        var interval = Stopwatch.Frequency / (double)rate;
        var t0 = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 20);

        async Task SendOneAsync(int i)
        {
            sent[i] = Stopwatch.GetTimestamp();
            try
            {
                using var request = spec.Create();
                using var response = await client.SendAsync(request, cts.Token).ConfigureAwait(false);
                var (ok, firstAt) = await Body.ReadAsync(response, spec.Stream, cts.Token).ConfigureAwait(false);
                first[i] = firstAt;
                end[i] = Stopwatch.GetTimestamp();
                state[i] = ok ? 1 : 2;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                end[i] = Stopwatch.GetTimestamp();
                state[i] = 2;
            }
            finally
            {
                if (Interlocked.Decrement(ref remaining) == 0)
                {
                    allDone.TrySetResult();
                }
            }
        }

        var dispatcher = new Thread(() =>
        {
            Native.TrySetTimerSlack();
            for (var i = 0; i < n; i++)
            {
                var due = t0 + (long)(i * interval);
                while (true)
                {
                    var wait = due - Stopwatch.GetTimestamp();
                    if (wait <= 0)
                    {
                        break;
                    }

                    Native.SleepMicroseconds(wait * 1_000_000 / Stopwatch.Frequency);
                }

                intended[i] = due;
                _ = SendOneAsync(i);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop dispatcher",
        };
        dispatcher.Start();
        await Task.Run(dispatcher.Join).ConfigureAwait(false);

        // Requests still open after the drain period are cancelled and count as errors (timeouts).
        await Task.WhenAny(allDone.Task, Task.Delay(drain)).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        await Task.WhenAny(allDone.Task, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);

        var latency = new List<double>(n);
        var ttfb = spec.Stream ? new List<double>(n) : null;
        var lag = new List<double>(n);
        long ok = 0, errors = 0, lastEnd = t0;
        var toMicros = 1_000_000.0 / Stopwatch.Frequency;
        for (var i = 0; i < n; i++)
        {
            lag.Add((sent[i] - intended[i]) * toMicros);
            if (Volatile.Read(ref state[i]) == 1)
            {
                ok++;
                latency.Add((end[i] - intended[i]) * toMicros);
                ttfb?.Add((first[i] - intended[i]) * toMicros);
                lastEnd = Math.Max(lastEnd, end[i]);
            }
            else
            {
                errors++;
            }
        }

        // Achieved throughput: successes over the time from the first due time to the last success, less the
        // median latency (a stream that lasts 60 ms must not make a 1 s phase look 6 % slow); at least the scheduled
        // duration, so a target that keeps up reports the offered rate.
        var latencies = Percentiles.Of(latency);
        var tailSeconds = (latencies?.P50 ?? 0) / 1e6;
        var seconds = Math.Max(duration.TotalSeconds, ((lastEnd - t0) / (double)Stopwatch.Frequency) - tailSeconds);
        return new LoadSample("open-loop (C#, CO-corrected)", n, ok, errors, seconds, latencies, ttfb is null ? null : Percentiles.Of(ttfb), Percentiles.Of(lag));
    }
}

/// <summary>
/// Closed-loop load in C# (each of <c>connections</c> workers sends its next request when the previous one ends).
/// Used when wrk is not installed; latency is measured from the actual send, so it is not CO-corrected.
/// </summary>
internal static class ClosedLoop
{
    public static async Task<LoadSample> RunAsync(HttpMessageInvoker client, RequestSpec spec, int connections, TimeSpan duration)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var start = Stopwatch.GetTimestamp();
        var latencies = new List<double>[connections];
        var errors = new long[connections];
        var toMicros = 1_000_000.0 / Stopwatch.Frequency;

        async Task WorkerAsync(int w)
        {
            var mine = latencies[w] = new List<double>(4096);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var t = Stopwatch.GetTimestamp();
                try
                {
                    using var request = spec.Create();
                    using var response = await client.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
                    var (ok, _) = await Body.ReadAsync(response, spec.Stream, CancellationToken.None).ConfigureAwait(false);
                    if (ok)
                    {
                        mine.Add((Stopwatch.GetTimestamp() - t) * toMicros);
                    }
                    else
                    {
                        errors[w]++;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    errors[w]++;
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, connections).Select(w => Task.Run(() => WorkerAsync(w)))).ConfigureAwait(false);
        var seconds = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
        var all = latencies.SelectMany(l => l).ToList();
        var errorCount = errors.Sum();
        return new LoadSample($"closed-loop (C#, {connections} connections)", all.Count + errorCount, all.Count, errorCount, seconds, Percentiles.Of(all), null, null);
    }
}

/// <summary>Reads a response to its end, noting when the first body byte arrived.</summary>
internal static class Body
{
    private static ReadOnlySpan<byte> Done => "[DONE]"u8;

    public static async ValueTask<(bool Ok, long FirstByteAt)> ReadAsync(HttpResponseMessage response, bool stream, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var tail = new byte[32];
        var tailLength = 0;
        long first = 0, total = 0;
        try
        {
            while (true)
            {
                var n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                if (first == 0)
                {
                    first = Stopwatch.GetTimestamp();
                }

                total += n;
                if (n >= tail.Length)
                {
                    buffer.AsSpan(n - tail.Length, tail.Length).CopyTo(tail);
                    tailLength = tail.Length;
                }
                else
                {
                    var keep = Math.Min(tailLength, tail.Length - n);
                    tail.AsSpan(tailLength - keep, keep).CopyTo(tail);
                    buffer.AsSpan(0, n).CopyTo(tail.AsSpan(keep));
                    tailLength = keep + n;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var ok = response.StatusCode == HttpStatusCode.OK && total > 0 && (!stream || tail.AsSpan(0, tailLength).IndexOf(Done) >= 0);
        return (ok, first);
    }
}
