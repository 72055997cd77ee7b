using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Tandem.Core.Tests.Providers.Bedrock;

/// <summary>Reads the pydantic-ai VCR cassettes in <c>test/TestData/pydantic-ai-bedrock/cassettes</c>.</summary>
internal static class Cassette
{
    public static string Folder => Path.Combine(TestData.Root, "pydantic-ai-bedrock");

    /// <summary>The request body of interaction <paramref name="index"/>, as sent.</summary>
    public static JsonNode RequestBody(string name, int index = 0) =>
        JsonNode.Parse(((YamlScalarNode)Interaction(name, index)["request"]["body"]).Value!)!;

    /// <summary>The request URI of interaction <paramref name="index"/>.</summary>
    public static string RequestUri(string name, int index = 0) => ((YamlScalarNode)Interaction(name, index)["request"]["uri"]).Value!;

    /// <summary>The response body of interaction <paramref name="index"/>, stored parsed by the recorder, as JSON.</summary>
    public static JsonNode ResponseBody(string name, int index = 0) => ToJson(Interaction(name, index)["response"]["parsed_body"])!;

    public static int ResponseStatus(string name, int index = 0) =>
        int.Parse(((YamlScalarNode)Interaction(name, index)["response"]["status"]["code"]).Value!, CultureInfo.InvariantCulture);

    private static YamlNode Interaction(string name, int index)
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(Path.Combine(Folder, "cassettes", name + ".yaml")));
        yaml.Load(reader);
        return ((YamlSequenceNode)yaml.Documents[0].RootNode["interactions"])[index];
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } s when long.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => null,
    };
}
