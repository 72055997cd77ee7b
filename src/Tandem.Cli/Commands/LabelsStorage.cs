using System.Globalization;
using Tandem.Classification;
using Tandem.Configuration;
using Tandem.Server.Adapters;
using Tandem.Storage;

namespace Tandem.Cli.Commands;

/// <summary>A usage or data error of the labelling and classifier commands: the message is printed, the exit code is 2.</summary>
internal sealed class ClassifierDataException : Exception
{
    public ClassifierDataException(string message)
        : base(message)
    {
    }

    public ClassifierDataException()
    {
    }

    public ClassifierDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Opens a gateway configuration's storage for one of its routes (the labelling commands and
/// <c>classifier train --route</c>), and reads the route's captured requests.
/// </summary>
internal static class LabelsStorage
{
    /// <summary>The configuration, the route and its storage (dispose it); throws <see cref="ClassifierDataException"/>.</summary>
    public static async Task<(RouteConfig Route, StorageDatabase Database)> OpenAsync(string configPath, string routeName, CancellationToken cancellationToken)
    {
        TandemConfig config;
        try
        {
            var adapters = await RegisteredAdapters.ReadAsync(configPath, cancellationToken).ConfigureAwait(false);
            config = ConfigLoader.LoadFile(configPath, ConfigUse.Tool, null, c => Tandem.Adapters.AdapterDeployments.Extend(c, adapters));
        }
        catch (ConfigException e)
        {
            throw new ClassifierDataException(e.Message, e);
        }

        var route = config.Routes.FirstOrDefault(r => r.Name == routeName)
            ?? throw new ClassifierDataException($"'{routeName}' is not a route of {configPath}");
        var database = StorageFactory.Open(config.Storage, Path.GetDirectoryName(Path.GetFullPath(configPath))!);
        try
        {
            await database.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (StorageErrors.IsUnavailable(e))
        {
            await database.DisposeAsync().ConfigureAwait(false);
            throw new ClassifierDataException($"the database at {database.Where} cannot be opened: {e.Message}", e);
        }

        return (route, database);
    }

    /// <summary>The route's captured, successful requests in the window (newest first, at most 100,000).</summary>
    public static async Task<IReadOnlyList<RouteExchange>> ExchangesAsync(StorageDatabase database, string route, DateTimeOffset since, CancellationToken cancellationToken)
    {
        try
        {
            return await database.Labels.ExchangesAsync(route, since, 100_000, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (StorageErrors.IsUnavailable(e))
        {
            throw new ClassifierDataException($"the database at {database.Where} cannot be read: {e.Message}", e);
        }
    }

    /// <summary>A window (30d, 12h) back from <paramref name="now"/>, a date, or the beginning of time when empty.</summary>
    public static DateTimeOffset Since(string? text, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return DateTimeOffset.UnixEpoch;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }

        return CostReportQuery.TryParseSince(text, out var window)
            ? now - window
            : throw new ClassifierDataException($"--since '{text}' is not a window (30d, 12h, 90m) or a date (2026-11-01)");
    }
}
