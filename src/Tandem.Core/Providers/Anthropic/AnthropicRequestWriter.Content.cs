using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Anthropic;

/// <summary>Content blocks of an Anthropic request: text, images and documents.</summary>
internal static partial class AnthropicRequestWriter
{
    /// <summary>Writes one OpenAI content part as an Anthropic block: text, image (URL or base64) or PDF document.</summary>
    private static bool TryWritePart(Utf8JsonWriter w, JsonElement part, string path, AnthropicRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        var cache = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("cache_control", out var cc) ? cc : default;
        if (IsPart(part, "text", out var text))
        {
            WriteText(w, text, cache);
            return true;
        }

        var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (type == "image_url" && part.TryGetProperty("image_url", out var image))
        {
            var url = image.ValueKind == JsonValueKind.String ? image.GetString()
                : image.ValueKind == JsonValueKind.Object && image.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            if (url is null)
            {
                problem = TranslationProblems.Invalid(path + ".image_url.url", "an image part needs a URL.");
                return false;
            }

            return TryWriteSource(w, "image", url, path + ".image_url.url", cache, options, out problem);
        }

        if (type == "file" && part.TryGetProperty("file", out var file) && file.ValueKind == JsonValueKind.Object)
        {
            if (!file.TryGetProperty("file_data", out var data) || data.ValueKind != JsonValueKind.String)
            {
                problem = TranslationProblems.UnsupportedValue(path + ".file", options.Deployment, Api, "only inline file_data (a base64 data URL) can be translated, not a file_id");
                return false;
            }

            return TryWriteSource(w, "document", data.GetString()!, path + ".file.file_data", cache, options, out problem);
        }

        problem = TranslationProblems.UnsupportedValue(path, options.Deployment, Api, $"a content part of type '{type}' cannot be translated");
        return false;
    }

    private static bool TryWriteSource(Utf8JsonWriter w, string block, string url, string path, JsonElement cache, AnthropicRequestOptions options, out RequestProblem problem)
    {
        problem = default;
        w.WriteStartObject();
        w.WriteString("type", block);
        w.WriteStartObject("source");
        if (DataUrl.TryParse(url, out var mediaType, out var base64))
        {
            var allowed = block == "image"
                ? mediaType is "image/jpeg" or "image/png" or "image/gif" or "image/webp"
                : mediaType is "application/pdf";
            if (!allowed)
            {
                problem = TranslationProblems.UnsupportedValue(path, options.Deployment, Api,
                    block == "image" ? $"images must be JPEG, PNG, GIF or WebP, not {mediaType}" : $"documents must be PDF, not {mediaType}");
                return false;
            }

            w.WriteString("type", "base64");
            w.WriteString("media_type", mediaType);
            w.WriteString("data", base64);
        }
        else if (block == "image" && (url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
        {
            w.WriteString("type", "url");
            w.WriteString("url", url);
        }
        else
        {
            problem = TranslationProblems.Invalid(path, block == "image" ? "expected an http(s) URL or a base64 data URL." : "expected a base64 data URL.");
            return false;
        }

        w.WriteEndObject();
        if (cache.ValueKind == JsonValueKind.Object)
        {
            w.WritePropertyName("cache_control");
            cache.WriteTo(w);
        }

        w.WriteEndObject();
        return true;
    }

    private static void WriteText(Utf8JsonWriter w, JsonElement text, JsonElement cache)
    {
        w.WriteStartObject();
        w.WriteString("type", "text");
        w.WritePropertyName("text");
        text.WriteTo(w);
        if (cache.ValueKind == JsonValueKind.Object)
        {
            // Anthropic's prompt caching marker, accepted on content parts as an extension.
            w.WritePropertyName("cache_control");
            cache.WriteTo(w);
        }

        w.WriteEndObject();
    }

    private static bool IsPart(JsonElement part, string type, out JsonElement text, string field = "text")
    {
        text = default;
        return part.ValueKind == JsonValueKind.Object
            && part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.ValueEquals(type)
            && part.TryGetProperty(field, out text) && text.ValueKind == JsonValueKind.String;
    }
}
