using System.CommandLine;
using Tandem.Configuration;
using Tandem.Server;

namespace Tandem.Cli.Commands;

internal static class ServeCommand
{
    /// <summary>Time beyond <c>server.shutdown_timeout</c> for the host to finish stopping before the process is ended anyway.</summary>
    private static readonly TimeSpan TerminationMargin = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long System.CommandLine waits after SIGTERM or Ctrl+C before it ends the process with 143 or 130. Its
    /// default, 2 s, cut in-flight streams and lost queued records. For <c>serve</c> it is the
    /// configuration's <c>server.shutdown_timeout</c> (the host's own bound for draining requests and writing their
    /// records) plus a margin, so the host's clean stop (exit 0) always ends first; for other commands the default.
    /// </summary>
    public static TimeSpan? TerminationTimeout(ParseResult parse, TimeSpan? otherwise)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.CommandResult.Command.Name != "serve")
        {
            return otherwise;
        }

        var path = parse.GetValue<string?>("--config") ?? "tandem.yaml";
        var timeout = TimeSpan.FromSeconds(30);
        try
        {
            if (File.Exists(path) && ConfigLoader.TryParseDuration(ConfigLoader.LoadFile(path).Server.ShutdownTimeout, out var configured))
            {
                timeout = configured;
            }
        }
        catch (ConfigException)
        {
            // serve itself reports the errors and exits 1.
        }

        return timeout + TerminationMargin;
    }

    public static Command Create()
    {
        var config = new Option<string?>("--config", "-c") { Description = "Configuration file (YAML or JSON). Default: ./tandem.yaml" };
        var urls = new Option<string?>("--urls") { Description = "Listen addresses, e.g. http://127.0.0.1:8080 (default: server.urls, else http://127.0.0.1:8080)" };
        var command = new Command("serve", "Run the gateway.") { config, urls };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(config) ?? "tandem.yaml";
            if (!File.Exists(path))
            {
                await Console.Error.WriteLineAsync($"tandem: configuration file '{path}' not found. Pass --config FILE, or try `tandem demo`.").ConfigureAwait(false);
                return 2;
            }

            return await RunGatewayAsync(new GatewayAppOptions { ConfigPath = path, Urls = parse.GetValue(urls) }, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> RunGatewayAsync(GatewayAppOptions options, CancellationToken cancellationToken, Func<GatewayApp, Task>? started = null)
    {
        GatewayApp gateway;
        try
        {
            // Encoder router models run all-MiniLM-L6-v2 in process; it loads on first use only.
            gateway = GatewayApp.Create(options with { SentenceEncoders = options.SentenceEncoders ?? Tandem.Routing.Encoder.MiniLmEncoder.Resolve });
        }
        catch (ConfigException e)
        {
            await Console.Error.WriteLineAsync("tandem: " + e.Message).ConfigureAwait(false);
            return 1;
        }

        await using (gateway.ConfigureAwait(false))
        {
            await gateway.StartAsync(cancellationToken).ConfigureAwait(false);
            await Console.Out.WriteLineAsync($"Tandem gateway listening on {gateway.BaseAddress} (OpenAI base URL: {new Uri(gateway.BaseAddress, "v1")})").ConfigureAwait(false);
            if (started is not null)
            {
                await started(gateway).ConfigureAwait(false);
            }

            try
            {
                await gateway.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return 0;
    }
}
