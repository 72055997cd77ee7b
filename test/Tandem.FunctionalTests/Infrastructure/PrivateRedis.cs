using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tandem.FunctionalTests.Infrastructure;

/// <summary>
/// A Redis server of the test's own (redis-server from apt, a free port, no persistence), so that killing it for an
/// outage test does not pull the shared test Redis from under other suites.
/// </summary>
internal sealed class PrivateRedis : IAsyncDisposable
{
    private readonly Process _process;

    private PrivateRedis(Process process, int port)
    {
        _process = process;
        Address = $"127.0.0.1:{port}";
    }

    public string Address { get; }

    public static async Task<PrivateRedis> StartAsync(CancellationToken cancellationToken)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
        {
            info.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed (apt-get install redis-server; test.sh installs it as root).", e);
        }

        process.StandardError.ReadToEndAsync(cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default).GetAwaiter();
        // Ready when its log says so (a wait on the server's own signal, not a timed sleep).
        while (await process.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(30), cancellationToken) is { } line)
        {
            if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                return new PrivateRedis(process, port);
            }
        }

        throw new InvalidOperationException("redis-server exited before it was ready");
    }

    /// <summary>Kills the server (SIGKILL) and waits for it to be gone: its clients' connections break at once.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
