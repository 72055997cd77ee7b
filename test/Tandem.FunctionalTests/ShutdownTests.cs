using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Tandem.Configuration;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Tandem.Storage;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// SIGTERM to the real <c>tandem serve</c> process (issue 18, item 1): it used to be killed by System.CommandLine
/// after 2 s (exit 143), cutting streams and losing queued records without a word. Now it drains within
/// <c>server.shutdown_timeout</c> and exits 0, and what it cannot write is counted and logged.
/// </summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_StreamInFlight_StreamEndsWithDone_EveryRecordWritten_ExitCode0()
    {
        await using var fast = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 3 }, cancellationToken: Ct);
        // 24 tokens at 6 per second: a stream of about 4 s, longer than the 2 s the process used to get.
        await using var slow = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 24, TokensPerSecond = 6 }, cancellationToken: Ct);
        var dir = Directory.CreateTempSubdirectory("tandem-sigterm-").FullName;
        var config = Path.Combine(dir, "tandem.yaml");
        await File.WriteAllTextAsync(config, TestGateway.Expand("""
            auth: { keys: [ { name: test, key: sk-test-key-123456 } ] }
            server: { shutdown_timeout: 30s }
            providers:
              - { name: fast, base_url: "{sim0}" }
              - { name: slow, base_url: "{sim1}" }
            deployments:
              - { name: quick, provider: fast, model: m }
              - { name: long, provider: slow, model: m }
            routes:
              - { name: chat, deployment: quick }
              - { name: story, deployment: long }
            storage: { engine: sqlite, path: tandem.db }
            """, [fast, slow]), Ct);

        await using (var gateway = await GatewayProcess.StartAsync(config, new Dictionary<string, string>()))
        {
            using var http = gateway.Client();
            var served = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
            {
                using var request = Chat("chat", stream: false, "sigterm-" + i);
                using var response = await http.SendAsync(request, Ct);
                await response.Content.ReadAsByteArrayAsync(Ct);
                return response.StatusCode;
            }));
            Assert.All(served, s => Assert.Equal(HttpStatusCode.OK, s));

            using var streamRequest = Chat("story", stream: true, "sigterm-stream");
            using var stream = await http.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead, Ct);
            Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
            using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(Ct));
            var lines = new List<string>();
            while (await reader.ReadLineAsync(Ct) is { } line)
            {
                lines.Add(line);
                if (line.StartsWith("data: {", StringComparison.Ordinal))
                {
                    break; // the stream is in flight: stop the gateway now
                }
            }

            gateway.Terminate();
            while (await reader.ReadLineAsync(Ct) is { } line)
            {
                lines.Add(line);
            }

            var data = lines.Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).ToList();
            Assert.Equal("data: [DONE]", data[^1]);
            Assert.DoesNotContain(data, l => l.Contains("\"error\"", StringComparison.Ordinal));
            Assert.Equal(24, data.Count(l => l.Contains("\"content\":\"", StringComparison.Ordinal) && !l.Contains("\"content\":\"\"", StringComparison.Ordinal)));

            Assert.Equal(0, await gateway.WaitForExitAsync());
            Assert.Contains(gateway.Output, l => l.Contains("Record writer stopped: 21 record(s) written, 0 dropped since start", StringComparison.Ordinal));
        }

        await using (var database = StorageFactory.OpenSqlite(Path.Combine(dir, "tandem.db"), new StorageConfig()))
        {
            Assert.Equal(21, await database.Records.CountAsync(cancellationToken: Ct));
            var record = await database.Records.GetAsync("sigterm-stream", Ct);
            Assert.NotNull(record);
            Assert.Equal((200, true, "story"), (record!.Status, record.Stream, record.Route));
        }

        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Sigterm_PostgresDown_QueuedRecordsCountedAsDroppedAndLogged_ExitCode0()
    {
        await using var pg = await PrivatePostgres.StartAsync(Ct);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 3 }, cancellationToken: Ct);
        var dir = Directory.CreateTempSubdirectory("tandem-sigterm-pg-").FullName;
        var config = Path.Combine(dir, "tandem.yaml");
        await File.WriteAllTextAsync(config, TestGateway.Expand("""
            auth: { keys: [ { name: test, key: sk-test-key-123456 } ] }
            server: { shutdown_timeout: 3s }
            providers: [ { name: sim, base_url: "{sim0}" } ]
            deployments: [ { name: gpt, provider: sim, model: m } ]
            routes: [ { name: chat, deployment: gpt } ]
            storage: { engine: postgres, connection_string_env: TANDEM_SIGTERM_PG }
            """, [sim]), Ct);

        await using (var gateway = await GatewayProcess.StartAsync(config, new Dictionary<string, string> { ["TANDEM_SIGTERM_PG"] = pg.ConnectionString }))
        {
            using var http = gateway.Client();
            for (var i = 0; i < 5; i++)
            {
                using var response = await http.SendAsync(Chat("chat", stream: false, "pg-up-" + i), Ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            await RecordsHelpers.UntilAsync(async () => await ReadyAsync(http) is (HttpStatusCode.OK, 0), "5 records written", Ct);
            await pg.StopServerAsync(Ct);
            for (var i = 0; i < 10; i++)
            {
                using var response = await http.SendAsync(Chat("chat", stream: false, "pg-down-" + i), Ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            await RecordsHelpers.UntilAsync(async () => await ReadyAsync(http) is (HttpStatusCode.ServiceUnavailable, 10), "10 records queued", Ct);
            gateway.Terminate();
            Assert.Equal(0, await gateway.WaitForExitAsync());
            Assert.Contains(gateway.Output, l => l.Contains("Shutdown: 10 record(s) could not be written within the shutdown timeout", StringComparison.Ordinal));
            Assert.Contains(gateway.Output, l => l.Contains("Record writer stopped: 5 record(s) written, 10 dropped since start", StringComparison.Ordinal));
        }

        await pg.StartServerAsync(Ct);
        await using (var database = StorageFactory.OpenPostgres(pg.ConnectionString, new StorageConfig()))
        {
            Assert.Equal(5, await database.Records.CountAsync(cancellationToken: Ct));
        }

        Directory.Delete(dir, recursive: true);
    }

    private static HttpRequestMessage Chat(string model, bool stream, string requestId)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = Json($$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}"""),
        };
        request.Headers.Add("x-request-id", requestId);
        return request;
    }

    private static async Task<(HttpStatusCode Status, long Queued)> ReadyAsync(HttpClient http)
    {
        using var response = await http.GetAsync("readyz", Ct);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return (response.StatusCode, doc.RootElement.GetProperty("records_queued").GetInt64());
    }

    /// <summary>The Cli project's built <c>tandem.dll</c> running <c>serve</c> in a child process, its output collected.</summary>
    private sealed class GatewayProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output = new();
        private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private GatewayProcess(Process process, int port)
        {
            _process = process;
            BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        }

        public Uri BaseAddress { get; }

        public IReadOnlyList<string> Output => [.. _output];

        public static async Task<GatewayProcess> StartAsync(string configPath, IReadOnlyDictionary<string, string> environment)
        {
            var port = FreePort();
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "tandem.dll"), "serve", "--config", configPath, "--urls", $"http://127.0.0.1:{port}"])
            {
                info.ArgumentList.Add(a);
            }

            foreach (var (name, value) in environment)
            {
                info.Environment[name] = value;
            }

            var gateway = new GatewayProcess(new Process { StartInfo = info, EnableRaisingEvents = true }, port);
            gateway._process.OutputDataReceived += (_, e) => gateway.Collect(e.Data);
            gateway._process.ErrorDataReceived += (_, e) => gateway.Collect(e.Data);
            gateway._process.Exited += (_, _) => gateway._listening.TrySetException(new InvalidOperationException("tandem serve exited before listening: " + string.Join('\n', gateway._output)));
            gateway._process.Start();
            gateway._process.BeginOutputReadLine();
            gateway._process.BeginErrorReadLine();
            await gateway._listening.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
            return gateway;
        }

        public HttpClient Client()
        {
            var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestGateway.Key);
            return http;
        }

        /// <summary>Sends SIGTERM, as an orchestrator stopping the container does.</summary>
        public void Terminate()
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
            Assert.Equal(0, kill.ExitCode);
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
        }

        private void Collect(string? line)
        {
            if (line is null)
            {
                return;
            }

            _output.Enqueue(line);
            if (line.Contains("Tandem gateway listening on", StringComparison.Ordinal))
            {
                _listening.TrySetResult();
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
