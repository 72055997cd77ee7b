using System.Collections.Frozen;
using Tandem.Configuration;

namespace Tandem.Providers;

/// <summary>
/// The provider types a gateway can speak, by <c>providers[i].type</c>. Immutable: <see cref="With"/> returns a new
/// set, so a set handed to a gateway cannot change under it.
/// </summary>
public sealed class ProviderAdapters
{
    private readonly FrozenDictionary<string, ProviderAdapterFactory> _factories;

    private ProviderAdapters(FrozenDictionary<string, ProviderAdapterFactory> factories) => _factories = factories;

    /// <summary>
    /// The built-in types: <c>openai</c> (and every OpenAI-compatible server), <c>azure-openai</c>, <c>anthropic</c>,
    /// <c>gemini</c>, <c>sagemaker</c> and <c>bedrock</c>.
    /// </summary>
    public static ProviderAdapters BuiltIn { get; } = new(new Dictionary<string, ProviderAdapterFactory>(StringComparer.Ordinal)
    {
        [ProviderTypes.OpenAI] = static c => new OpenAiAdapter(c, azure: false),
        [ProviderTypes.AzureOpenAI] = static c => new OpenAiAdapter(c, azure: true),
        [ProviderTypes.Anthropic] = static c => new Anthropic.AnthropicAdapter(c, c.Time),
        [ProviderTypes.Gemini] = static c => new Gemini.GeminiAdapter(c, c.Time),
        [ProviderTypes.SageMaker] = SageMaker.SageMakerAdapter.Create,
        [ProviderTypes.Bedrock] = Bedrock.BedrockAdapter.Create,
    }.ToFrozenDictionary(StringComparer.Ordinal));

    /// <summary>The known type names.</summary>
    public IReadOnlyCollection<string> Types => _factories.Keys;

    /// <summary>A set with <paramref name="type"/> added (or replaced).</summary>
    public ProviderAdapters With(string type, ProviderAdapterFactory factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        ArgumentNullException.ThrowIfNull(factory);
        var copy = new Dictionary<string, ProviderAdapterFactory>(_factories, StringComparer.Ordinal) { [type] = factory };
        return new ProviderAdapters(copy.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>Builds the adapter of a provider. Throws <see cref="ConfigException"/> for an unknown type.</summary>
    public IProviderAdapter Create(ProviderAdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return _factories.TryGetValue(context.Config.Type, out var factory)
            ? factory(context)
            : throw new ConfigException([$"provider '{context.Config.Name}': unknown type '{context.Config.Type}'"]);
    }
}
