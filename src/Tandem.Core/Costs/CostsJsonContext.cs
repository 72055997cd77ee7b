using System.Text.Json.Serialization;

namespace Tandem.Costs;

/// <summary>Source-generated JSON for the price table and cost reports (snake_case, as the admin API speaks).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never, UseStringEnumConverter = true)]
[JsonSerializable(typeof(PriceTableFile))]
[JsonSerializable(typeof(CostReport))]
internal sealed partial class CostsJsonContext : JsonSerializerContext;

/// <summary>JSON form of a <see cref="CostReport"/>.</summary>
public static class CostReportJson
{
    /// <summary>Serializes a report (snake_case, indented).</summary>
    public static string Serialize(CostReport report) => System.Text.Json.JsonSerializer.Serialize(report, CostsJsonContext.Default.CostReport);

    /// <summary>Reads a report back (tests, clients).</summary>
    public static CostReport? Deserialize(string json) => System.Text.Json.JsonSerializer.Deserialize(json, CostsJsonContext.Default.CostReport);
}
