namespace Tandem.Adapters;

/// <summary>
/// A LoRA adapter registered on a base deployment's provider (vLLM's runtime API). It serves as its own deployment,
/// <c>BASE+NAME</c> (e.g. <c>llama-3.1-8b+intent-v3</c>), that eval can score and a migration can shadow and promote.
/// </summary>
public sealed record AdapterRegistration
{
    /// <summary>The adapter's name, the model id the provider serves it under (<c>intent-v3</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The base deployment (its provider loads the adapter).</summary>
    public required string Base { get; init; }

    /// <summary>The PEFT adapter directory as the provider's server sees it.</summary>
    public required string Path { get; init; }

    /// <summary>The dataset it was trained on (a dataset card's id or a path), for the record.</summary>
    public string? Dataset { get; init; }

    /// <summary>The eval results it was accepted with (a report path or a short summary), for the record.</summary>
    public string? Eval { get; init; }

    /// <summary>When it was registered.</summary>
    public DateTimeOffset RegisteredAt { get; init; }

    /// <summary>The deployment name it serves as.</summary>
    public string Deployment => DeploymentName(Base, Name);

    /// <summary><c>BASE+NAME</c>.</summary>
    public static string DeploymentName(string baseDeployment, string adapter) => baseDeployment + "+" + adapter;
}

/// <summary>Where registered adapters are kept (<c>tandem_adapter</c>, schema version 3), so that they survive restarts.</summary>
public interface IAdapterStore
{
    /// <summary>Every registered adapter, by name.</summary>
    Task<IReadOnlyList<AdapterRegistration>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Registers (or re-registers with new settings) an adapter.</summary>
    Task SaveAsync(AdapterRegistration adapter, CancellationToken cancellationToken = default);

    /// <summary>Removes an adapter; false when it was not registered.</summary>
    Task<bool> RemoveAsync(string name, CancellationToken cancellationToken = default);
}
