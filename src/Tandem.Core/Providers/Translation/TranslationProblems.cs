using Tandem.Wire;

namespace Tandem.Providers.Translation;

/// <summary>
/// The 400s of translating adapters, in OpenAI's vocabulary (<c>unsupported_parameter</c>, <c>unsupported_value</c>,
/// <c>invalid_value</c>, <c>missing_required_parameter</c>), each naming the parameter so that the client knows what
/// to change. Every translating adapter refuses with these, so a refusal reads the same whatever the provider.
/// </summary>
internal static class TranslationProblems
{
    /// <summary>A parameter the provider's API has no equivalent for.</summary>
    public static RequestProblem Unsupported(string param, string deployment, string api) =>
        new($"Unsupported parameter: '{param}' cannot be expressed for deployment '{deployment}', which speaks {api}.", param, "unsupported_parameter");

    /// <summary>A value the provider's API cannot express.</summary>
    public static RequestProblem UnsupportedValue(string param, string deployment, string api, string detail) =>
        new($"Unsupported value for '{param}': {detail} (deployment '{deployment}' speaks {api}).", param, "unsupported_value");

    /// <summary>A value that is not what OpenAI's API accepts either.</summary>
    public static RequestProblem Invalid(string param, string detail) =>
        new($"Invalid value for '{param}': {detail}", param, "invalid_value");

    /// <summary>A parameter OpenAI's API requires.</summary>
    public static RequestProblem Missing(string param) =>
        new($"Missing required parameter: '{param}'.", param, "missing_required_parameter");
}
