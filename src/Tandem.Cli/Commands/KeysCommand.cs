using System.CommandLine;
using Tandem.Runtime;

namespace Tandem.Cli.Commands;

internal static class KeysCommand
{
    public static Command Create()
    {
        var hash = new Command("hash", "Read a key from standard input and print its SHA-256, for key_sha256 in the configuration.");
        hash.SetAction(async parse =>
        {
            var key = (await Console.In.ReadLineAsync().ConfigureAwait(false))?.Trim();
            if (string.IsNullOrEmpty(key))
            {
                await Console.Error.WriteLineAsync("tandem keys hash: no key on standard input").ConfigureAwait(false);
                return 2;
            }

            await Console.Out.WriteLineAsync(KeyRing.HashHex(key)).ConfigureAwait(false);
            return 0;
        });
        return new Command("keys", "Manage gateway API keys.") { hash };
    }
}
