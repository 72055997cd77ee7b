using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tandem.Wire;

/// <summary>The upstream body: the client's bytes with only <c>model</c> (and, for streams, <c>stream_options</c>) changed.</summary>
public sealed partial class ApiRequest
{
    /// <summary>
    /// Writes the body to forward upstream: the client's bytes with <c>model</c> replaced by
    /// <paramref name="upstreamModel"/> and, when <paramref name="forceUsage"/> and the request streams,
    /// <c>stream_options.include_usage</c> set to true.
    /// </summary>
    public void WriteUpstreamBody(ReadOnlySpan<byte> body, string upstreamModel, bool forceUsage, IBufferWriter<byte> output)
    {
        var encoded = new ArrayBufferWriter<byte>(upstreamModel.Length + 8);
        WriteJsonString(upstreamModel, encoded);
        WriteUpstreamBody(body, encoded.WrittenSpan, forceUsage, output);
    }

    /// <summary>As <see cref="WriteUpstreamBody(ReadOnlySpan{byte}, string, bool, IBufferWriter{byte})"/>, with the model already encoded as a JSON string literal.</summary>
    public void WriteUpstreamBody(ReadOnlySpan<byte> body, ReadOnlySpan<byte> upstreamModelJson, bool forceUsage, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var injectUsage = forceUsage && Stream && !ClientWantsUsage;
        var pos = 0;

        // Edits in ascending order of position: insertion after '{', then the two value replacements.
        if (injectUsage && _streamOptionsStart < 0)
        {
            Copy(body[..(_objectStart + 1)], output);
            Copy(IncludeUsageInsert, output);
            pos = _objectStart + 1;
        }

        var replaceOptions = injectUsage && _streamOptionsStart >= 0;
        if (replaceOptions && _streamOptionsStart < _modelStart)
        {
            Copy(body[pos.._streamOptionsStart], output);
            WriteStreamOptions(body.Slice(_streamOptionsStart, _streamOptionsLength), output);
            pos = _streamOptionsStart + _streamOptionsLength;
            replaceOptions = false;
        }

        Copy(body[pos.._modelStart], output);
        Copy(upstreamModelJson, output);
        pos = _modelStart + _modelLength;

        if (replaceOptions)
        {
            Copy(body[pos.._streamOptionsStart], output);
            WriteStreamOptions(body.Slice(_streamOptionsStart, _streamOptionsLength), output);
            pos = _streamOptionsStart + _streamOptionsLength;
        }

        Copy(body[pos..], output);
    }

    private static void WriteStreamOptions(ReadOnlySpan<byte> original, IBufferWriter<byte> output)
    {
        // Rare path: the client sent stream_options without include_usage:true. Keep its other options.
        if (JsonNode.Parse(original) is JsonObject obj)
        {
            obj["include_usage"] = true;
            using var writer = new Utf8JsonWriter(output);
            obj.WriteTo(writer);
            return;
        }

        Copy(IncludeUsageObject, output);
    }

    private static void WriteJsonString(string value, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStringValue(value);
    }

    private static void Copy(ReadOnlySpan<byte> source, IBufferWriter<byte> output)
    {
        if (source.IsEmpty)
        {
            return;
        }

        source.CopyTo(output.GetSpan(source.Length));
        output.Advance(source.Length);
    }
}
