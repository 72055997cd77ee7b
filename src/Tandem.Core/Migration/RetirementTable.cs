using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace Tandem.Migration;

/// <summary>A provider's announced retirement of a model.</summary>
/// <param name="Model">The upstream model id.</param>
/// <param name="Retires">The shutdown date.</param>
/// <param name="Source">Where the date comes from.</param>
public sealed record Retirement(string Model, DateOnly Retires, string Source);

/// <summary>
/// Known model retirement dates, shipped as dated data (<c>retirements.json</c>) and overridable per deployment
/// with <c>retires:</c>. Dates change: check each against the provider's deprecation page before relying on it.
/// </summary>
public static class RetirementTable
{
    private static readonly Lazy<(string AsOf, IReadOnlyDictionary<string, Retirement> Entries)> Data = new(Load);

    /// <summary>The date the table was compiled.</summary>
    public static string AsOf => Data.Value.AsOf;

    /// <summary>Every shipped entry.</summary>
    public static IReadOnlyCollection<Retirement> Entries => (IReadOnlyCollection<Retirement>)Data.Value.Entries.Values;

    /// <summary>The retirement of a deployment: its configured date first, then the table by upstream model id.</summary>
    public static Retirement? For(string upstreamModel, string? configured)
    {
        if (configured is not null && DateOnly.TryParseExact(configured, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return new Retirement(upstreamModel, date, "configuration");
        }

        return Data.Value.Entries.TryGetValue(upstreamModel, out var r) ? r : null;
    }

    private static (string, IReadOnlyDictionary<string, Retirement>) Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Tandem.Migration.retirements.json")
            ?? throw new InvalidOperationException("retirements.json is not embedded");
        using var doc = JsonDocument.Parse(stream);
        var entries = new Dictionary<string, Retirement>(StringComparer.Ordinal);
        foreach (var e in doc.RootElement.GetProperty("models").EnumerateArray())
        {
            var model = e.GetProperty("model").GetString()!;
            entries[model] = new Retirement(model, DateOnly.ParseExact(e.GetProperty("retires").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture), e.GetProperty("source").GetString()!);
        }

        return (doc.RootElement.GetProperty("as_of").GetString()!, entries);
    }
}
