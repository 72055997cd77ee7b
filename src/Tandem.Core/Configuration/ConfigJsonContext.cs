using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tandem.Configuration;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(TandemConfig))]
[JsonSerializable(typeof(ProviderConfig))]
[JsonSerializable(typeof(ResilienceConfig))]
[JsonSerializable(typeof(string))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;
