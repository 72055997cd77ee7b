using System.Text.Encodings.Web;
using System.Text.Json;

namespace Tandem.Providers.Translation;

/// <summary>How translating adapters write providers' request bodies.</summary>
internal static class TranslationJson
{
    /// <summary>
    /// Text as it is (UTF-8), not escaped for HTML: a body goes to an API, never into a page, and escaping every
    /// non-ASCII character would triple the size of prompts in most languages.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
