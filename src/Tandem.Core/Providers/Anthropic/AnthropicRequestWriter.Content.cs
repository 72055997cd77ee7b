using System.Text.Json;
using Tandem.Providers.Translation;

namespace Tandem.Providers.Anthropic;

/// <summary>Content blocks of an Anthropic request: text, images and documents.</summary>
internal static partial class AnthropicRequestWriter
{
    /// <summary>Writes one content part as an Anthropic block: text, image (URL or base64) or PDF document.</summary>
    private static void WritePart(Utf8JsonWriter w, in ContentPart part)
    {
        switch (part.Kind)
        {
            case ContentKind.Image:
                WriteSource(w, "image", part);
                break;
            case ContentKind.File:
                WriteSource(w, "document", part);
                break;
            default:
                WriteText(w, part);
                break;
        }
    }

    private static void WriteSource(Utf8JsonWriter w, string block, in ContentPart part)
    {
        w.WriteStartObject();
        w.WriteString("type", block);
        w.WriteStartObject("source");
        if (part.Media.IsInline)
        {
            w.WriteString("type", "base64");
            w.WriteString("media_type", part.Media.MediaType);
            w.WriteString("data", part.Media.Data);
        }
        else
        {
            w.WriteString("type", "url");
            w.WriteString("url", part.Media.Url);
        }

        w.WriteEndObject();
        WriteCacheControl(w, part.CacheControl);
        w.WriteEndObject();
    }

    private static void WriteText(Utf8JsonWriter w, in ContentPart part)
    {
        w.WriteStartObject();
        w.WriteString("type", "text");
        w.WritePropertyName("text");
        part.Text.WriteTo(w);
        WriteCacheControl(w, part.CacheControl);
        w.WriteEndObject();
    }

    /// <summary>Anthropic's prompt caching marker, accepted on content parts and tools as an extension (as LiteLLM and others do).</summary>
    private static void WriteCacheControl(Utf8JsonWriter w, JsonElement cache)
    {
        if (cache.ValueKind == JsonValueKind.Object)
        {
            w.WritePropertyName("cache_control");
            cache.WriteTo(w);
        }
    }
}
