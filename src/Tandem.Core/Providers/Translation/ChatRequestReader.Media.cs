using System.Text.Json;
using Tandem.Wire;

namespace Tandem.Providers.Translation;

/// <summary>Images, audio and files in content parts.</summary>
internal static partial class ChatRequestReader
{
    /// <summary>An <c>image_url</c>, <c>input_audio</c> or <c>file</c> part, as far as the protocol takes it.</summary>
    private static bool TryReadMedia(JsonElement part, JsonElement type, int i, int k, in Context c, out ContentKind kind, out MediaSource media, out RequestProblem problem)
    {
        media = default;
        problem = default;
        var capabilities = c.Capabilities;
        if (type.ValueEquals("image_url"u8) && capabilities.Images is { } images)
        {
            kind = ContentKind.Image;
            var image = part.TryGetProperty("image_url", out var im) ? im : default;
            var url = image.ValueKind == JsonValueKind.String ? image.GetString()
                : image.ValueKind == JsonValueKind.Object && image.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            if (url is null)
            {
                problem = TranslationProblems.Invalid($"{PartPath(i, k)}.image_url.url", "an image part needs a URL.");
                return false;
            }

            return TryReadSource(url, images, i, k, ".image_url.url", c, out media, out problem);
        }

        if (type.ValueEquals("input_audio"u8) && capabilities.Audio)
        {
            kind = ContentKind.Audio;
            if (!part.TryGetProperty("input_audio", out var audio) || audio.ValueKind != JsonValueKind.Object
                || !audio.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.String
                || !audio.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String)
            {
                problem = TranslationProblems.Invalid($"{PartPath(i, k)}.input_audio", "an audio part needs its base64 'data' and its 'format'.");
                return false;
            }

            media = new MediaSource("audio/" + format.GetString(), data.GetString(), null);
            return true;
        }

        if (type.ValueEquals("file"u8) && capabilities.Files is { } files)
        {
            kind = ContentKind.File;
            if (!part.TryGetProperty("file", out var file) || file.ValueKind != JsonValueKind.Object)
            {
                problem = TranslationProblems.Invalid($"{PartPath(i, k)}.file", "a file part needs a 'file' object.");
                return false;
            }

            if (!file.TryGetProperty("file_data", out var fileData) || fileData.ValueKind != JsonValueKind.String)
            {
                problem = c.UnsupportedValue($"{PartPath(i, k)}.file", "only inline file_data (a base64 data URL) can be translated, not a file_id");
                return false;
            }

            return TryReadSource(fileData.GetString()!, files, i, k, ".file.file_data", c, out media, out problem);
        }

        kind = default;
        problem = c.UnsupportedValue(PartPath(i, k), $"a content part of type '{type.GetString()}' cannot be translated");
        return false;
    }

    /// <summary>A <c>data:</c> URL (inline bytes) or a URL, if the protocol takes it that way.</summary>
    private static bool TryReadSource(string url, MediaCapability capability, int i, int k, string suffix, in Context c, out MediaSource media, out RequestProblem problem)
    {
        media = default;
        problem = default;
        if (DataUrl.TryParse(url, out var mediaType, out var base64))
        {
            if (capability.InlineTypes is { } allowed && !allowed.Contains(mediaType))
            {
                problem = c.UnsupportedValue(PartPath(i, k) + suffix, $"{capability.Noun} must be {capability.InlineTypesText}, not {mediaType}");
                return false;
            }

            media = new MediaSource(mediaType, base64, null);
            return true;
        }

        if ((capability.WebUrls && MediaTypes.IsWebUrl(url)) || (capability.CloudStorageUrls && MediaTypes.IsCloudStorageUrl(url)))
        {
            var named = capability.UrlsNeedMediaType ? MediaTypes.OfUrl(url) : null;
            if (!capability.UrlsNeedMediaType || named is not null)
            {
                media = new MediaSource(named, null, url);
                return true;
            }
        }

        problem = c.UnsupportedValue(PartPath(i, k) + suffix, capability.Expected(c.Capabilities.Provider));
        return false;
    }
}
