namespace Tandem.Providers.Translation;

/// <summary>Where media a client sends by URL is, and what type it is when only its URL says.</summary>
internal static class MediaTypes
{
    /// <summary>Whether <paramref name="url"/> is an http or https URL.</summary>
    public static bool IsWebUrl(string url) =>
        url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="url"/> is a Google Cloud Storage URL (<c>gs://bucket/object</c>).</summary>
    public static bool IsCloudStorageUrl(string url) => url.StartsWith("gs://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The media type an http(s) or gs:// URL's path extension names (query and fragment ignored); null when it names none known.</summary>
    public static string? OfUrl(string url)
    {
        var end = url.IndexOfAny(['?', '#']);
        var path = end < 0 ? url : url[..end];
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".webp" => "image/webp",
            ".gif" => "image/gif",
            ".heic" => "image/heic",
            ".heif" => "image/heif",
            ".pdf" => "application/pdf",
            _ => null,
        };
    }
}
