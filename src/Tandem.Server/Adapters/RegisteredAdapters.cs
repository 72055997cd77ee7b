using Tandem.Adapters;
using Tandem.Configuration;
using Tandem.Storage;

namespace Tandem.Server.Adapters;

/// <summary>Registered adapters read straight from the database a configuration names (start-up, tools).</summary>
public static class RegisteredAdapters
{
    /// <summary>
    /// The adapters registered in the database a configuration file names, read before the gateway (or a tool) validates
    /// the file, so that routes may name adapters' deployments. None when the file or the database cannot be read yet
    /// (the service adds them once it can) or a SQLite file does not exist (nothing registered).
    /// </summary>
    public static async Task<IReadOnlyList<AdapterRegistration>> ReadAsync(string configPath, CancellationToken cancellationToken = default)
    {
        TandemConfig raw;
        try
        {
            raw = ConfigLoader.ReadUnchecked(configPath);
        }
        catch (ConfigException)
        {
            return [];
        }

        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(configPath)) ?? Directory.GetCurrentDirectory();
        var storage = raw.Storage;
        if (storage.Engine != StorageEngines.Postgres && !File.Exists(Path.Combine(baseDirectory, storage.Path)))
        {
            return [];
        }

        try
        {
            var database = StorageFactory.Open(storage, baseDirectory);
            await using (database.ConfigureAwait(false))
            {
                return await database.Adapters.ListAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (StorageErrors.IsUnavailable(e) || e is InvalidOperationException)
        {
            return [];
        }
    }

}
