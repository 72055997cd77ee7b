using System.ClientModel;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Chat;
using Tandem.Server;
using Tandem.Simulator;

namespace Tandem.FunctionalTests.Infrastructure;

/// <summary>
/// A real Kestrel gateway on loopback with its configuration in a temporary file, in front of real simulators.
/// </summary>
public sealed class TestGateway : IAsyncDisposable
{
    public const string Key = "sk-test-key-123456";

    private readonly TempDir _dir;
    private readonly IReadOnlyList<string> _upstreams;

    private TestGateway(GatewayApp app, TempDir dir, string configPath, IReadOnlyList<string> upstreams, TestLoggerProvider logs)
    {
        _upstreams = upstreams;
        App = app;
        _dir = dir;
        ConfigPath = configPath;
        Logs = logs;
        Http = new HttpClient { BaseAddress = app.BaseAddress };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
    }

    public GatewayApp App { get; }

    public string ConfigPath { get; }

    public TestLoggerProvider Logs { get; }

    /// <summary>An HttpClient with the gateway's base address and the test key.</summary>
    public HttpClient Http { get; }

    public Uri V1 => new(App.BaseAddress, "v1");

    /// <summary>Starts a gateway; <paramref name="configYaml"/> may use {sim0}, {sim1}… for the simulators' /v1 URLs.</summary>
    public static Task<TestGateway> StartAsync(string configYaml, params SimulatorServer[] simulators) =>
        StartAsync(configYaml, static o => o, [.. simulators.Select(s => s.V1.ToString())]);

    /// <summary>
    /// Starts a gateway with extra options (provider adapters, a seeded random source…); {sim0}, {sim1}… stand for
    /// <paramref name="upstreams"/>, base URLs of any upstream servers.
    /// </summary>
    public static async Task<TestGateway> StartAsync(string configYaml, Func<GatewayAppOptions, GatewayAppOptions> configure, IReadOnlyList<string> upstreams)
    {
        var dir = new TempDir("tandem-gateway-");
        var path = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(path, Expand(configYaml, upstreams));
        var logs = new TestLoggerProvider();
        var app = GatewayApp.Create(configure(new GatewayAppOptions { ConfigPath = path, Urls = "http://127.0.0.1:0", LoggerProvider = logs, MinimumLogLevel = LogLevel.Debug }));
        await app.StartAsync();
        return new TestGateway(app, dir, path, upstreams, logs);
    }

    /// <summary>Replaces {sim0}, {sim1}… with the simulators' /v1 URLs.</summary>
    public static string Expand(string yaml, IReadOnlyList<SimulatorServer> simulators) =>
        GatewayConfigs.Expand(yaml, simulators.Select(s => s.V1));

    /// <summary>Replaces {sim0}, {sim1}… with the base URLs of any upstream servers.</summary>
    public static string Expand(string yaml, IReadOnlyList<string> upstreams) =>
        GatewayConfigs.Expand(yaml, upstreams.Select(u => new Uri(u)));

    /// <summary>An official OpenAI SDK chat client pointed at the gateway.</summary>
    public ChatClient Chat(string model, string key = Key) =>
        new(model, new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = V1, NetworkTimeout = TimeSpan.FromSeconds(30) });

    public OpenAIClient OpenAI(string key = Key) =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = V1, NetworkTimeout = TimeSpan.FromSeconds(30) });

    /// <summary>Rewrites the configuration file and waits for the gateway to process the change.</summary>
    public async Task<Configuration.GatewayStateOutcome> RewriteConfigAsync(string configYaml)
    {
        var next = App.State.NextReloadAsync();
        await File.WriteAllTextAsync(ConfigPath, Expand(configYaml, _upstreams));
        var outcome = await next.WaitAsync(TimeSpan.FromSeconds(20));
        return new Configuration.GatewayStateOutcome(outcome.Succeeded, outcome.Version, outcome.Errors);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        _dir.Dispose();
    }
}
