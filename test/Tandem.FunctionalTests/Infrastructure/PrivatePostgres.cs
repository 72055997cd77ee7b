using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tandem.FunctionalTests.Infrastructure;

/// <summary>
/// A PostgreSQL server of the test's own (initdb in a temp directory, a free port), so that stopping it for an
/// outage test does not pull the database from under other suites running at the same time. Uses the binaries
/// test.sh exports as TANDEM_TEST_PGBIN; runs them as the postgres user when the tests run as root.
/// </summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _data;
    private readonly int _port;
    private readonly bool _asPostgresUser;

    private PrivatePostgres(string bin, string data, int port, bool asPostgresUser)
    {
        _bin = bin;
        _data = data;
        _port = port;
        _asPostgresUser = asPostgresUser;
    }

    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;Timeout=3";

    public static async Task<PrivatePostgres> StartAsync(CancellationToken cancellationToken)
    {
        var bin = Environment.GetEnvironmentVariable("TANDEM_TEST_PGBIN");
        if (string.IsNullOrEmpty(bin) || !File.Exists(Path.Combine(bin, "pg_ctl")))
        {
            throw new InvalidOperationException(
                "TANDEM_TEST_PGBIN is not set to a PostgreSQL bin directory (e.g. /usr/lib/postgresql/15/bin): the storage outage test " +
                "starts and stops its own PostgreSQL server. Run the tests through test.sh, which sets it.");
        }

        var root = Environment.UserName == "root";
        var data = Directory.CreateTempSubdirectory("tandem-pg-outage-").FullName;
        if (root)
        {
            await RunAsync("chown", ["postgres:postgres", data], cancellationToken);
        }

        var pg = new PrivatePostgres(bin, data, FreePort(), root);
        await pg.PgAsync("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], cancellationToken);
        await pg.StartServerAsync(cancellationToken);
        return pg;
    }

    public Task StartServerAsync(CancellationToken cancellationToken) =>
        PgAsync("pg_ctl", ["-D", _data, "-l", Path.Combine(_data, "server.log"), "-w", "-t", "30",
            "-o", $"-p {_port} -k {_data} -c listen_addresses=127.0.0.1 -c fsync=off", "start"], cancellationToken);

    public Task StopServerAsync(CancellationToken cancellationToken) =>
        PgAsync("pg_ctl", ["-D", _data, "-m", "fast", "-w", "-t", "30", "stop"], cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(_data, "postmaster.pid")))
        {
            await StopServerAsync(CancellationToken.None);
        }

        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private Task PgAsync(string tool, string[] args, CancellationToken cancellationToken) =>
        _asPostgresUser
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args], cancellationToken)
            : RunAsync(Path.Combine(_bin, tool), args, cancellationToken);

    private static async Task RunAsync(string file, string[] args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}{await stdout}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
