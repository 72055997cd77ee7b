using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tandem.FunctionalTests.Infrastructure;

/// <summary>
/// The Cli project's built <c>tandem.dll</c> in a child process: for commands that read the process's own standard
/// input or write to its console (keys, serve, simulate, demo), as a user runs them. Each runs in a fresh temporary
/// working directory (a default <c>tandem.db</c> lands there).
/// </summary>
public sealed class TandemProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly string _readyLine;
    private readonly TempDir _workingDirectory = new("tandem-cli-");
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TandemProcess(Process process, string readyLine)
    {
        _process = process;
        _readyLine = readyLine;
    }

    public IReadOnlyList<string> StandardOutput => [.. _stdout];

    public IReadOnlyList<string> StandardError => [.. _stderr];

    /// <summary>Runs a command to its end: exit code, standard output and standard error.</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(string? stdin, params string[] args)
    {
        await using var p = Start(args, readyLine: "\0");
        if (stdin is not null)
        {
            await p._process.StandardInput.WriteAsync(stdin);
        }

        p._process.StandardInput.Close();
        var code = await p.WaitForExitAsync();
        return (code, string.Join('\n', p.StandardOutput), string.Join('\n', p.StandardError));
    }

    /// <summary>Starts a long-running command and waits until it prints a line containing <paramref name="readyLine"/>.</summary>
    public static async Task<TandemProcess> StartAsync(string readyLine, params string[] args)
    {
        var p = Start(args, readyLine);
        try
        {
            await p._ready.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        }
        catch
        {
            await p.DisposeAsync();
            throw;
        }

        return p;
    }

    private static TandemProcess Start(string[] args, string readyLine)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tandem.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        var p = new TandemProcess(new Process { StartInfo = info, EnableRaisingEvents = true }, readyLine);
        info.WorkingDirectory = p._workingDirectory.Path;
        p._process.OutputDataReceived += (_, e) => p.Collect(p._stdout, e.Data);
        p._process.ErrorDataReceived += (_, e) => p.Collect(p._stderr, e.Data);
        p._process.Exited += (_, _) => p._ready.TrySetException(new InvalidOperationException("tandem exited before it was ready: " + string.Join('\n', p._stdout.Concat(p._stderr))));
        p._process.Start();
        p._process.BeginOutputReadLine();
        p._process.BeginErrorReadLine();
        return p;
    }

    /// <summary>A free loopback port to listen on.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Sends SIGTERM, as an orchestrator or Ctrl+C would stop it.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);
        _process.WaitForExit(); // drains the output events
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
        _workingDirectory.Dispose();
    }

    private void Collect(ConcurrentQueue<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lines.Enqueue(line);
        if (line.Contains(_readyLine, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }
}
