using System.CommandLine;
using Tandem.Server;
using Tandem.Simulator;

namespace Tandem.Cli.Commands;

internal static class DemoCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = "Gateway listen address (default http://127.0.0.1:8080)" };
        var once = new Option<bool>("--once") { Description = "Send one request to each demo route through the gateway, print the answers and exit (0 when both answered): a smoke test of an installation" };
        var command = new Command("demo", "Run the gateway with two SIMULATED deployments, \"proprietary\" and \"self-hosted\", started beside it. No keys or external services needed.") { urls, once };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Two simulators stand in for a proprietary API and a self-hosted model. They generate text; they are not models.
            await using var proprietary = await SimulatorServer.StartAsync(new SimulatorOptions
            {
                Label = "proprietary (simulated)",
                TimeToFirstToken = Distribution.Parse("normal:350ms,80ms"),
                Latency = Distribution.Parse("normal:600ms,120ms"),
                TokensPerSecond = 90,
                OutputTokens = 40,
                SystemFingerprint = "fp_sim_proprietary",
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using var selfHosted = await SimulatorServer.StartAsync(new SimulatorOptions
            {
                Label = "self-hosted (simulated)",
                TimeToFirstToken = Distribution.Parse("normal:120ms,30ms"),
                Latency = Distribution.Parse("normal:400ms,80ms"),
                TokensPerSecond = 60,
                OutputTokens = 40,
                SystemFingerprint = "fp_sim_selfhosted",
            }, cancellationToken: cancellationToken).ConfigureAwait(false);

            Environment.SetEnvironmentVariable("TANDEM_DEMO_PROPRIETARY_URL", proprietary.V1.ToString());
            Environment.SetEnvironmentVariable("TANDEM_DEMO_SELFHOSTED_URL", selfHosted.V1.ToString());
            var config = Path.Combine(AppContext.BaseDirectory, "demo.yaml");
            await Console.Out.WriteLineAsync($"SIMULATED upstreams: proprietary at {proprietary.V1}, self-hosted at {selfHosted.V1}").ConfigureAwait(false);
            if (parse.GetValue(once))
            {
                // Stops the gateway once both routes have answered (or one has not): the exit code tells which.
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var answered = false;
                var code = await ServeCommand.RunGatewayAsync(new GatewayAppOptions { ConfigPath = config, Urls = parse.GetValue(urls) ?? "http://127.0.0.1:0", WatchConfig = false }, stop.Token, async gateway =>
                {
                    try
                    {
                        answered = await DemoCheck.RunAsync(gateway.BaseAddress, Console.Out, stop.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        await stop.CancelAsync().ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
                return code != 0 ? code : answered ? 0 : 1;
            }

            return await ServeCommand.RunGatewayAsync(new GatewayAppOptions { ConfigPath = config, Urls = parse.GetValue(urls), WatchConfig = false }, cancellationToken, gateway =>
                Console.Out.WriteLineAsync($$"""
                    Try it (API key: sk-tandem-demo; routes: intent → proprietary, support-chat → self-hosted):
                      curl {{gateway.BaseAddress}}v1/chat/completions -H 'Authorization: Bearer sk-tandem-demo' \
                        -H 'Content-Type: application/json' -d '{"model":"intent","messages":[{"role":"user","content":"hi"}]}'
                    """)).ConfigureAwait(false);
        });
        return command;
    }
}
