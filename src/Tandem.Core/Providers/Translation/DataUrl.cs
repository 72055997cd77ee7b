namespace Tandem.Providers.Translation;

/// <summary>Reads <c>data:</c> URLs (RFC 2397) of the base64 kind OpenAI clients send for inline images and files.</summary>
internal static class DataUrl
{
    /// <summary>
    /// Splits <c>data:image/png;base64,AAAA</c> into its media type and base64 payload. False for any other URL, and
    /// for data URLs that are not base64 or have no media type.
    /// </summary>
    public static bool TryParse(string url, out string mediaType, out string base64)
    {
        mediaType = "";
        base64 = "";
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var comma = url.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0)
        {
            return false;
        }

        var header = url.AsSpan(5, comma - 5);
        if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        header = header[..^7];
        var semicolon = header.IndexOf(';');
        if (semicolon >= 0)
        {
            header = header[..semicolon];
        }

        if (header.IsEmpty || header.IndexOf('/') <= 0)
        {
            return false;
        }

        mediaType = header.ToString().ToLowerInvariant();
        base64 = url[(comma + 1)..];
        return base64.Length > 0;
    }
}
