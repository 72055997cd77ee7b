using System.Text.Json.Serialization;

namespace Tandem.Eval.Reports.Decision;

/// <summary>One GPU: memory and memory bandwidth, from its datasheet.</summary>
internal sealed record GpuSpec
{
    public string Name { get; init; } = "";
    public double MemoryGb { get; init; }
    public double BandwidthGbS { get; init; }
    public string Source { get; init; } = "";
}

/// <summary>One open model's size and attention shape (what its weights and KV cache take), from its model card.</summary>
internal sealed record ModelSpec
{
    public string Name { get; init; } = "";
    public string Label { get; init; } = "";
    public double ParametersB { get; init; }
    public int Layers { get; init; }
    public int KvHeads { get; init; }
    public int HeadDim { get; init; }
    public string Source { get; init; } = "";

    /// <summary>KV cache per token at 16 bits: keys and values × layers × KV heads × head dimension × 2 bytes.</summary>
    public double KvBytesPerToken => 2.0 * Layers * KvHeads * HeadDim * 2;
}

/// <summary>A weight format and what a parameter takes in it.</summary>
internal sealed record QuantisationSpec
{
    public string Name { get; init; } = "";
    public double BytesPerParameter { get; init; }
    public string Source { get; init; } = "";
}

/// <summary>
/// The sizing table shipped with Tandem (<c>gpu-sizing.json</c>, documented in docs/GPU-SIZING.md): datasheet memory and
/// bandwidth of common inference GPUs, the shapes of open models, and weight formats, each with its source.
/// </summary>
internal sealed record GpuTable
{
    public string AsOf { get; init; } = "";
    public double MemoryUtilisation { get; init; } = 0.9;
    public string MemoryUtilisationSource { get; init; } = "";
    public IReadOnlyList<GpuSpec> Gpus { get; init; } = [];
    public IReadOnlyList<ModelSpec> Models { get; init; } = [];
    public IReadOnlyList<QuantisationSpec> Quantisations { get; init; } = [];

    private static readonly Lazy<GpuTable> Shipped = new(() =>
    {
        using var stream = typeof(GpuTable).Assembly.GetManifestResourceStream("Tandem.Eval.Reports.Decision.gpu-sizing.json")
            ?? throw new InvalidOperationException("gpu-sizing.json is not embedded");
        return System.Text.Json.JsonSerializer.Deserialize(stream, DecisionJsonContext.Default.GpuTable)
            ?? throw new InvalidOperationException("gpu-sizing.json is empty");
    });

    /// <summary>The table shipped in this assembly.</summary>
    public static GpuTable Default => Shipped.Value;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(GpuTable))]
[JsonSerializable(typeof(DecisionAnswers))]
[JsonSerializable(typeof(DecisionReport))]
internal sealed partial class DecisionJsonContext : JsonSerializerContext;
