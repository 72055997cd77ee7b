using Tandem.Wire;

namespace Tandem.Providers.Translation;

/// <summary>
/// The 400s of translating adapters, in OpenAI's vocabulary (<c>unsupported_parameter</c>, <c>unsupported_value</c>,
/// <c>invalid_value</c>), each naming the parameter so that the client knows what to change.
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
}
