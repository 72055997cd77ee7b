using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Tandem.Extensions.AI.Tests.Infrastructure;

/// <summary>
/// A <c>dotnet</c> child process (pack, restore, build, or a built app), its output collected line by line. MSBuild runs
/// without node reuse or a compiler server, so nothing outlives the command (and no lingering node holds its pipes);
/// the parent's MSBuild and NuGet variables are not passed on, so a build sees only what the test sets.
/// </summary>
internal sealed class DotNetProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly string? _readyText;
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DotNetProcess(Process process, string? readyText)
    {
        _process = process;
        _readyText = readyText;
    }

    /// <summary>Standard output and standard error, in the order they came.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>Runs a command to its end; throws with its output when it fails or outlasts <paramref name="timeout"/>.</summary>
    public static async Task<string> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        await using var p = Start(workingDirectory, environment, readyText: null, args);
        var code = await p.WaitForExitAsync(timeout);
        if (code != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', args)} exited with {code}:\n{p.Output}");
        }

        return p.Output;
    }

    /// <summary>Runs another executable (an installed tool) to its end; returns its exit code and output.</summary>
    public static async Task<(int Code, string Output)> RunExecutableAsync(string executable, string workingDirectory, TimeSpan timeout, params string[] args)
    {
        await using var p = Start(executable, workingDirectory, new Dictionary<string, string>(), readyText: null, args);
        var code = await p.WaitForExitAsync(timeout);
        return (code, p.Output);
    }

    /// <summary>Starts a long-running app and waits for a line containing <paramref name="readyText"/>; returns the process and that line.</summary>
    public static async Task<(DotNetProcess Process, string Line)> StartAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, string readyText, params string[] args)
    {
        var p = Start(workingDirectory, environment, readyText, args);
        try
        {
            var line = await p._ready.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
            return (p, line);
        }
        catch
        {
            await p.DisposeAsync();
            throw;
        }
    }

    private static DotNetProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, string? readyText, string[] args) =>
        Start("dotnet", workingDirectory, environment, readyText, args);

    private static DotNetProcess Start(string executable, string workingDirectory, IReadOnlyDictionary<string, string> environment, string? readyText, string[] args)
    {
        var info = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var name in info.Environment.Keys.ToList())
        {
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("NUGET_", StringComparison.OrdinalIgnoreCase))
            {
                info.Environment.Remove(name);
            }
        }

        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var p = new DotNetProcess(new Process { StartInfo = info, EnableRaisingEvents = true }, readyText);
        p._process.OutputDataReceived += (_, e) => p.Collect(e.Data);
        p._process.ErrorDataReceived += (_, e) => p.Collect(e.Data);
        p._process.Exited += (_, _) => p._ready.TrySetException(new InvalidOperationException("the app exited before it was ready:\n" + p.Output));
        p._process.Start();
        p._process.BeginOutputReadLine();
        p._process.BeginErrorReadLine();
        return p;
    }

    /// <summary>Waits for the process to end (its output drained) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync(Ct).WaitAsync(timeout, Ct);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"dotnet did not end within {timeout}:\n{Output}", e);
        }

        _process.WaitForExit(); // drains the output events
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as a container orchestrator or Ctrl+C stops an app.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
    }

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        if (_readyText is not null && line.Contains(_readyText, StringComparison.Ordinal))
        {
            _ready.TrySetResult(line);
        }
    }
}
