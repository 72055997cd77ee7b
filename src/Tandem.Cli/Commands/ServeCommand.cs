using System.CommandLine;
using Tandem.Configuration;
using Tandem.Server;

namespace Tandem.Cli.Commands;

internal static class ServeCommand
{
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
            gateway = GatewayApp.Create(options);
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
