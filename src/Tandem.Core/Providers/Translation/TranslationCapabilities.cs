using System.Globalization;

namespace Tandem.Providers.Translation;

/// <summary>
/// What a translating adapter's protocol can express, so that <see cref="ChatRequestReader"/> decides every refusal of
/// an untranslatable field or value in one place, with the same message for every provider. Fields OpenAI defines and
/// no translating protocol expresses (<c>n</c> above 1, <c>logprobs</c>, a non-empty <c>logit_bias</c>, <c>audio</c>…)
/// and fields Tandem does not know are refused for every adapter; what is left to say is here.
/// </summary>
/// <param name="Api">How messages name the protocol: <c>Anthropic's Messages API</c>.</param>
/// <param name="Provider">The short name in details: <c>Anthropic</c> (as in "Anthropic needs the arguments…").</param>
internal sealed record TranslationCapabilities(string Api, string Provider)
{
    /// <summary>The highest <c>temperature</c> the protocol takes (OpenAI's is 2).</summary>
    public double MaxTemperature { get; init; } = 2;

    /// <summary>Whether <c>top_k</c> (an extension some OpenAI-compatible servers take) is sent.</summary>
    public bool TopK { get; init; }

    /// <summary>Whether a non-zero <c>presence_penalty</c> is sent.</summary>
    public bool PresencePenalty { get; init; }

    /// <summary>Whether a non-zero <c>frequency_penalty</c> is sent.</summary>
    public bool FrequencyPenalty { get; init; }

    /// <summary>Whether function tools, tool calls in the conversation and tool messages can be sent.</summary>
    public bool Tools { get; init; }

    /// <summary>Whether <c>parallel_tool_calls: false</c> can be expressed (when tools can be).</summary>
    public bool DisableParallelToolCalls { get; init; }

    /// <summary>Whether <c>response_format</c> <c>json_object</c> can be expressed.</summary>
    public bool JsonObject { get; init; }

    /// <summary>Whether <c>response_format</c> <c>json_schema</c> can be expressed.</summary>
    public bool JsonSchema { get; init; }

    /// <summary>How <c>image_url</c> parts can be sent; null when they cannot.</summary>
    public MediaCapability? Images { get; init; }

    /// <summary>How <c>file</c> parts can be sent; null when they cannot.</summary>
    public MediaCapability? Files { get; init; }

    /// <summary>Whether <c>input_audio</c> parts can be sent.</summary>
    public bool Audio { get; init; }

    /// <summary>Whether a tool message may hold images and files (otherwise text only).</summary>
    public bool MediaInToolResults { get; init; }

    /// <summary>The <see cref="MaxTemperature"/> as messages write it.</summary>
    internal string MaxTemperatureText => MaxTemperature.ToString(CultureInfo.InvariantCulture);
}

/// <summary>How a protocol takes media of one kind (images, documents).</summary>
/// <param name="Noun">What they are called in messages: <c>images</c>, <c>documents</c>.</param>
internal sealed record MediaCapability(string Noun)
{
    /// <summary>The extensions <see cref="MediaTypes.OfUrl"/> knows the media type of, as messages list them.</summary>
    public const string KnownExtensions = ".png, .jpg, .jpeg, .webp, .gif, .heic, .heif or .pdf";

    /// <summary>The media types of base64 <c>data:</c> URLs it takes (lower case); null for any.</summary>
    public IReadOnlyList<string>? InlineTypes { get; init; }

    /// <summary><see cref="InlineTypes"/> as messages name them: <c>JPEG, PNG, GIF or WebP</c>.</summary>
    public string InlineTypesText { get; init; } = "";

    /// <summary>Whether http(s) URLs are passed on as URLs.</summary>
    public bool WebUrls { get; init; }

    /// <summary>Whether <c>gs://</c> (Google Cloud Storage) URLs are passed on as URLs.</summary>
    public bool CloudStorageUrls { get; init; }

    /// <summary>Whether a URL must name its media type by its extension (the protocol needs the type with the URL).</summary>
    public bool UrlsNeedMediaType { get; init; }

    /// <summary>What a refused source should have been, for a refusal's detail.</summary>
    internal string Expected(string provider) =>
        UrlsNeedMediaType ? $"expected a base64 data URL, or an http(s){(CloudStorageUrls ? " or gs://" : "")} URL ending in {KnownExtensions} ({provider} needs the media type)"
        : WebUrls ? "expected an http(s) URL or a base64 data URL"
        : $"expected a base64 data URL ({provider} takes {Noun} inline, not by URL)";
}
