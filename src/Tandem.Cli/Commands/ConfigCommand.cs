using System.CommandLine;
using Tandem.Configuration;

namespace Tandem.Cli.Commands;

internal static class ConfigCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Configuration file to check" };
        var check = new Command("check", "Validate a configuration file and list every error with its path.") { file };
        check.SetAction(async parse =>
        {
            try
            {
                var config = ConfigLoader.LoadFile(parse.GetValue(file)!);
                foreach (var warning in ConfigValidator.Warnings(config))
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync("warning: " + warning).ConfigureAwait(false);
                }

                await parse.InvocationConfiguration.Output.WriteLineAsync($"ok: {config.Providers.Count} providers, {config.Deployments.Count} deployments, {config.Routes.Count} routes").ConfigureAwait(false);
                return 0;
            }
            catch (ConfigException e)
            {
                foreach (var error in e.Errors)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync(error).ConfigureAwait(false);
                }

                return 1;
            }
        });
        return new Command("config", "Work with configuration files.") { check };
    }
}
