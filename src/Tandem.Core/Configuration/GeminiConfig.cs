namespace Tandem.Configuration;

/// <summary>
/// Settings of a provider of type <c>gemini</c> (YAML <c>providers[i].gemini</c>), which speaks Google's
/// <c>generateContent</c> API: the Gemini API with an API key (<c>x-goog-api-key</c>, from <c>api_key_env</c>), or
/// Vertex AI with a service account's access token when <see cref="Vertex"/> is set.
/// </summary>
public sealed record GeminiConfig
{
    /// <summary>Vertex AI instead of the Gemini API; absent: the Gemini API with <c>api_key_env</c>.</summary>
    public GeminiVertexConfig? Vertex { get; set; }

    /// <summary>
    /// How JSON schemas (of <c>response_format</c> <c>json_schema</c> and of tool parameters) are sent:
    /// <c>openapi</c> (default) as Gemini's OpenAPI-subset <c>Schema</c> (<c>responseSchema</c>, <c>parameters</c>),
    /// converted (<c>$ref</c> inlined, type unions as <c>nullable</c>/<c>anyOf</c>); <c>json_schema</c> as they are
    /// (<c>responseJsonSchema</c>, <c>parametersJsonSchema</c>), for models that take JSON Schema itself.
    /// </summary>
    public string Schemas { get; set; } = GeminiSchemaModes.OpenApi;
}

/// <summary>Values of <see cref="GeminiConfig.Schemas"/>.</summary>
public static class GeminiSchemaModes
{
    /// <summary>Gemini's OpenAPI-subset schema, converted from JSON Schema.</summary>
    public const string OpenApi = "openapi";

    /// <summary>JSON Schema as sent by the client.</summary>
    public const string JsonSchema = "json_schema";
}

/// <summary>
/// Vertex AI: models at <c>{base_url}/projects/{project}/locations/{location}/publishers/google/models/{model}</c>,
/// called with an OAuth2 access token obtained for a service account (a signed JWT exchanged at the key file's
/// <c>token_uri</c>), cached and refreshed before it expires.
/// </summary>
public sealed record GeminiVertexConfig
{
    /// <summary>The Google Cloud project id.</summary>
    public string Project { get; set; } = "";

    /// <summary>The region, e.g. <c>us-central1</c>, or <c>global</c>.</summary>
    public string Location { get; set; } = "us-central1";

    /// <summary>
    /// Environment variable holding the path of the service account's JSON key file (default
    /// <c>GOOGLE_APPLICATION_CREDENTIALS</c>, as Google's own clients read it). The key never sits in Tandem's file.
    /// </summary>
    public string CredentialsEnv { get; set; } = "GOOGLE_APPLICATION_CREDENTIALS";
}
