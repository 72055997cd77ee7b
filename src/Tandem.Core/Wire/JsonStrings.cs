using System.Text;
using System.Text.Json;

namespace Tandem.Wire;

/// <summary>
/// Decoding JSON string tokens that clients control. <see cref="Utf8JsonReader.GetString"/> throws
/// <see cref="InvalidOperationException"/> for text with no UTF-16 form: invalid UTF-8 bytes, or an escaped unpaired
/// surrogate such as <c>\ud800</c>, which is valid JSON syntax.
/// </summary>
internal static class JsonStrings
{
    /// <summary>Decodes the current string token; false when it has no UTF-16 form.</summary>
    public static bool TryGet(ref Utf8JsonReader reader, out string value)
    {
        try
        {
            value = reader.GetString() ?? "";
            return true;
        }
        catch (InvalidOperationException)
        {
            value = "";
            return false;
        }
    }

    /// <summary>
    /// Decodes the current string token, or, when it has no UTF-16 form, returns its raw JSON text (escapes kept,
    /// invalid bytes replaced by U+FFFD): for counting and scanning text, where dropping it would be worse.
    /// </summary>
    public static string GetTolerant(ref Utf8JsonReader reader) =>
        TryGet(ref reader, out var value) ? value : Encoding.UTF8.GetString(reader.ValueSpan);
}
