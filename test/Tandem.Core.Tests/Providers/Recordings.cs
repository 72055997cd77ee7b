using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Providers;
using YamlDotNet.RepresentationModel;

namespace Tandem.Core.Tests.Providers;

/// <summary>
/// The recorded provider exchanges under <c>test/TestData</c> (each folder with its licence and README), read as JSON,
/// and a driver that pushes a recorded body through a <see cref="ResponseTranslator"/> in pieces of any size.
/// </summary>
internal static class Recordings
{
    /// <summary>The fixed <c>created</c> the translators are given in tests.</summary>
    public const long Created = 1_700_000_000;

    public static string File(params string[] parts) => Path.Combine([TestData.Root, .. parts]);

    /// <summary>An anthropic-sdk-python inline snapshot: an array of <c>{request:{body}, response:{status_code, headers, body}}</c>.</summary>
    public static JsonArray AnthropicSnapshot(string name) =>
        JsonNode.Parse(System.IO.File.ReadAllText(File("anthropic-sdk-python", name)))!.AsArray();

    /// <summary>A pydantic-ai VCR cassette's interactions, as JSON (plain scalars that read as numbers or booleans become them).</summary>
    public static JsonArray Cassette(params string[] path)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(System.IO.File.ReadAllText(File(["pydantic-ai", .. path]))))
        {
            stream.Load(reader);
        }

        return Convert(stream.Documents[0].RootNode)!["interactions"]!.AsArray();
    }

    /// <summary>
    /// Feeds <paramref name="body"/> to <paramref name="translator"/> in pieces of <paramref name="piece"/> bytes (1: byte
    /// by byte), completes it, and returns the <c>data:</c> payloads of the OpenAI events written.
    /// </summary>
    public static List<string> Translate(ResponseTranslator translator, byte[] body, int piece = int.MaxValue)
    {
        var output = new ArrayBufferWriter<byte>();
        for (var i = 0; i < body.Length; i += piece)
        {
            translator.Translate(body.AsSpan(i, Math.Min(piece, body.Length - i)), output);
        }

        translator.Complete(output);
        return Events(Encoding.UTF8.GetString(output.WrittenSpan));
    }

    /// <summary>The payloads of <c>\n\n</c>-framed <c>data:</c> events, checking that nothing else was written.</summary>
    public static List<string> Events(string sse)
    {
        var events = new List<string>();
        foreach (var e in sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Xunit.Assert.StartsWith("data: ", e, StringComparison.Ordinal);
            events.Add(e["data: ".Length..]);
        }

        return events;
    }

    /// <summary>Asserts that <paramref name="actual"/> is the JSON <paramref name="expected"/> (same members and values, any order).</summary>
    public static void JsonEqual(string expected, string actual)
    {
        var e = JsonNode.Parse(expected);
        var a = JsonNode.Parse(actual);
        Xunit.Assert.True(JsonNode.DeepEquals(e, a), $"expected {e?.ToJsonString()}\nactual   {a?.ToJsonString()}");
    }

    /// <summary>Asserts JSON equality of two nodes.</summary>
    public static void JsonEqual(JsonNode? expected, JsonNode? actual) =>
        Xunit.Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected?.ToJsonString()}\nactual   {actual?.ToJsonString()}");

    private static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    obj[((YamlScalarNode)key).Value!] = Convert(value);
                }

                return obj;
            case YamlSequenceNode seq:
                var array = new JsonArray();
                foreach (var item in seq.Children)
                {
                    array.Add(Convert(item));
                }

                return array;
            case YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } plain:
                var v = plain.Value ?? "";
                if (v is "" or "null" or "~")
                {
                    return null;
                }

                if (v is "true" or "false")
                {
                    return JsonValue.Create(v == "true");
                }

                if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                {
                    return JsonValue.Create(l);
                }

                return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : JsonValue.Create(v);
            case YamlScalarNode scalar:
                return JsonValue.Create(scalar.Value ?? "");
            default:
                return null;
        }
    }
}
