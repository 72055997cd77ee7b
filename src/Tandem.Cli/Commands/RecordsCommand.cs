using System.CommandLine;
using System.Globalization;
using Tandem.Configuration;
using Tandem.Privacy;
using Tandem.Storage;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem records erase --user ID</c> and <c>tandem records reencrypt</c>: privacy operations on the configured database.</summary>
internal static class RecordsCommand
{
    public static Command Create()
    {
        var user = new Option<string>("--user") { Description = "The end-user id as clients send it (OpenAI's `user` field)", Required = true };
        var eraseConfig = ConfigOption();
        var erase = new Command("erase", "Delete one end user's records, captured content, feedback and shadow samples from every table, and print the rows before and after.") { user, eraseConfig };
        erase.SetAction((parse, cancellationToken) => WithDatabaseAsync(parse, "erase", parse.GetValue(eraseConfig)!, async (database, output) =>
        {
            var result = await database.EraseEndUserAsync(parse.GetValue(user)!, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(Render(result)).ConfigureAwait(false);
            return result.After.Total == 0 ? 0 : 1;
        }, cancellationToken));

        var reencryptConfig = ConfigOption();
        var reencrypt = new Command("reencrypt", "Re-encrypt captured content written in clear text or under an older key with privacy.encryption.active (the old keys must still be listed).") { reencryptConfig };
        reencrypt.SetAction((parse, cancellationToken) => WithDatabaseAsync(parse, "reencrypt", parse.GetValue(reencryptConfig)!, async (database, output) =>
        {
            var result = await database.ReencryptAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"re-encrypted with the active key: {result.Contents} contents, {result.Feedback} feedback, {result.ShadowSamples} shadow samples")).ConfigureAwait(false);
            return 0;
        }, cancellationToken));

        return new Command("records", "Privacy operations on stored records: erase one end user, re-encrypt content after a key rotation.") { erase, reencrypt };
    }

    /// <summary>The before/after table printed by <c>records erase</c> (the proof of an erasure).</summary>
    internal static string Render(EraseResult result)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine("table               before  after");
        void Row(string name, long before, long after) => sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{name,-18} {before,7} {after,6}"));
        Row("records", result.Before.Records, result.After.Records);
        Row("attempts", result.Before.Attempts, result.After.Attempts);
        Row("contents", result.Before.Contents, result.After.Contents);
        Row("feedback", result.Before.Feedback, result.After.Feedback);
        Row("shadow_samples", result.Before.ShadowSamples, result.After.ShadowSamples);
        Row("dictionary", result.Before.DictionaryEntries, result.After.DictionaryEntries);
        Row("total", result.Before.Total, result.After.Total);
        sb.AppendLine("rollups            (no end-user id: per day, route, deployment and key)");
        return sb.ToString();
    }

    private static Option<string> ConfigOption() => new("--config", "-c") { Description = "Configuration file naming the database (default ./tandem.yaml)", DefaultValueFactory = _ => "tandem.yaml" };

    private static async Task<int> WithDatabaseAsync(ParseResult parse, string verb, string configPath, Func<StorageDatabase, TextWriter, Task<int>> action, CancellationToken cancellationToken)
    {
        var error = parse.InvocationConfiguration.Error;
        StorageDatabase database;
        try
        {
            var config = ConfigLoader.LoadFile(configPath, ConfigUse.Tool);
            var directory = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
            database = StorageFactory.Open(config.Storage, directory, null, ContentCipher.Load(config.Privacy.Encryption, directory));
        }
        catch (Exception e) when (e is ConfigException or InvalidOperationException or FileNotFoundException)
        {
            await error.WriteLineAsync($"tandem records {verb}: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        await using (database.ConfigureAwait(false))
        {
            try
            {
                await database.MigrateAsync(cancellationToken).ConfigureAwait(false);
                return await action(database, parse.InvocationConfiguration.Output).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ContentKeyException or InvalidOperationException || StorageErrors.IsUnavailable(e))
            {
                await error.WriteLineAsync($"tandem records {verb}: {e.Message}").ConfigureAwait(false);
                return 2;
            }
        }
    }
}
