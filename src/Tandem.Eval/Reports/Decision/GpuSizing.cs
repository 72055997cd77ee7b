namespace Tandem.Eval.Reports.Decision;

/// <summary>How many of one GPU serve a model at a load, and what they cost.</summary>
/// <param name="Gpu">The GPU.</param>
/// <param name="GpusPerReplica">GPUs one copy of the model needs (tensor parallel: 1, 2, 4 or 8).</param>
/// <param name="ConcurrentSequences">Sequences of the sized context that fit in one replica's KV cache.</param>
/// <param name="ReplicaTokensPerSecond">Decode roofline of one replica at that concurrency (an upper bound).</param>
/// <param name="Replicas">Replicas for the peak at the target utilisation.</param>
/// <param name="Gpus">GPUs in all.</param>
/// <param name="MonthlyCost">GPUs × hourly price × 730 hours; null without a price for this GPU.</param>
internal sealed record GpuOption(string Gpu, int GpusPerReplica, int ConcurrentSequences, double ReplicaTokensPerSecond, int Replicas, int Gpus, decimal? MonthlyCost);

/// <summary>
/// Sizing from first principles, with every input sourced (<see cref="GpuTable"/>): decoding is memory-bound, so a
/// decode step reads the weights once plus the KV cache of every running sequence.
/// <code>
///   weights     = parameters × bytes per parameter
///   kv/token    = 2 × layers × KV heads × head dim × 2 bytes
///   usable      = GPUs × memory × memory utilisation (0.9, vLLM's default)
///   GPUs/replica= smallest of 1, 2, 4, 8 whose usable memory holds the weights and one sequence of the context
///   sequences   = ⌊(usable − weights) ÷ (kv/token × context)⌋
///   tokens/s    = sequences × GPUs × bandwidth ÷ (weights + sequences × context × kv/token)
///   replicas    = ⌈peak tokens/s ÷ (tokens/s × target utilisation)⌉, at least 1
/// </code>
/// The tokens/s is a roofline (an upper bound): real engines reach a fraction of it, which the target utilisation
/// (default 0.5) leaves room for.
/// </summary>
internal static class GpuSizing
{
    public const double HoursPerMonth = 730;
    private static readonly int[] TensorParallel = [1, 2, 4, 8];

    /// <summary>The option for one GPU, or null when the model does not fit on 8 of them.</summary>
    public static GpuOption? Size(GpuSpec gpu, ModelSpec model, QuantisationSpec quantisation, double memoryUtilisation,
        double peakTokensPerSecond, int contextTokens, double targetUtilisation, decimal? hourlyPrice)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(quantisation);
        var weights = model.ParametersB * 1e9 * quantisation.BytesPerParameter;
        var context = Math.Max(1, contextTokens);
        var perSequence = model.KvBytesPerToken * context;
        foreach (var n in TensorParallel)
        {
            var usable = n * gpu.MemoryGb * 1e9 * memoryUtilisation;
            if (usable < weights + perSequence)
            {
                continue;
            }

            var sequences = (int)Math.Floor((usable - weights) / perSequence);
            var tokensPerSecond = sequences * n * gpu.BandwidthGbS * 1e9 / (weights + sequences * perSequence);
            var replicas = Math.Max(1, (int)Math.Ceiling(peakTokensPerSecond / (tokensPerSecond * targetUtilisation)));
            var gpus = replicas * n;
            return new GpuOption(gpu.Name, n, sequences, tokensPerSecond, replicas, gpus,
                hourlyPrice is decimal h ? Math.Round(gpus * h * (decimal)HoursPerMonth, 2) : null);
        }

        return null;
    }
}
