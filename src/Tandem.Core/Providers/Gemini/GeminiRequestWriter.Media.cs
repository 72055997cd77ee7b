using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Gemini;

/// <summary>Images, audio and files in a Gemini request.</summary>
internal static partial class GeminiRequestWriter
{
    /// <summary>Writes an image, audio or file part: inline data for data URLs and audio, a file URI for URLs.</summary>
    private static bool TryWriteMedia(Utf8JsonWriter w, JsonElement part, string? type, string path, GeminiRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        string? url = null;
        string? mediaType = null;
        string? data = null;
        if (type == "image_url" && part.TryGetProperty("image_url", out var image))
        {
            path += ".image_url.url";
            url = image.ValueKind == JsonValueKind.String ? image.GetString()
                : image.ValueKind == JsonValueKind.Object && image.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        }
        else if (type == "input_audio" && part.TryGetProperty("input_audio", out var audio) && audio.ValueKind == JsonValueKind.Object)
        {
            path += ".input_audio";
            data = audio.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            mediaType = audio.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? "audio/" + f.GetString() : null;
        }
        else if (type == "file" && part.TryGetProperty("file", out var file) && file.ValueKind == JsonValueKind.Object)
        {
            path += ".file.file_data";
            url = file.TryGetProperty("file_data", out var fd) && fd.ValueKind == JsonValueKind.String ? fd.GetString() : null;
            if (url is null)
            {
                problem = TranslationProblems.UnsupportedValue(path, options.Deployment, Api, "only inline file_data (a base64 data URL) can be translated, not a file_id");
                return false;
            }
        }
        else
        {
            problem = TranslationProblems.UnsupportedValue(path, options.Deployment, Api, $"a content part of type '{type}' cannot be translated");
            return false;
        }

        if (url is not null && DataUrl.TryParse(url, out var parsedType, out var parsedData))
        {
            (mediaType, data) = (parsedType, parsedData);
        }

        if (data is not null && mediaType is not null)
        {
            w.WriteStartObject();
            w.WriteStartObject("inlineData");
            w.WriteString("mimeType", mediaType);
            w.WriteString("data", data);
            w.WriteEndObject();
            w.WriteEndObject();
            return true;
        }

        if (url is not null && MediaTypeOfUrl(url) is { } guessed)
        {
            w.WriteStartObject();
            w.WriteStartObject("fileData");
            w.WriteString("mimeType", guessed);
            w.WriteString("fileUri", url);
            w.WriteEndObject();
            w.WriteEndObject();
            return true;
        }

        problem = TranslationProblems.UnsupportedValue(path, options.Deployment, Api,
            "expected a base64 data URL, or an http(s) or gs:// URL ending in .png, .jpg, .jpeg, .webp, .gif, .heic, .heif or .pdf (Gemini needs the media type)");
        return false;
    }

    private static string? MediaTypeOfUrl(string url)
    {
        if (!(url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || url.StartsWith("gs://", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

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
