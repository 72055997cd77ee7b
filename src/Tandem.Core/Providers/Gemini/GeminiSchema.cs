using System.Text.Json;

namespace Tandem.Providers.Gemini;

/// <summary>
/// Converts a JSON Schema (as OpenAI clients send for <c>response_format</c> and tool parameters) into Gemini's
/// <c>Schema</c>, a subset of OpenAPI 3.0: types upper-cased, a type union with <c>null</c> as <c>nullable</c>,
/// other unions and <c>oneOf</c> as <c>anyOf</c>, <c>$ref</c> into <c>$defs</c> inlined, <c>const</c> as a one-value
/// <c>enum</c>. Annotations Gemini has no field for (<c>$schema</c>, <c>additionalProperties</c>, <c>examples</c>…)
/// are left out; a keyword that constrains values and has no equivalent (<c>not</c>, <c>if</c>,
/// <c>patternProperties</c>…) is refused rather than silently loosened.
/// </summary>
internal static class GeminiSchema
{
    private const int MaxDepth = 32;

    /// <summary>Writes the converted schema; false with what cannot be converted.</summary>
    public static bool TryWrite(Utf8JsonWriter w, JsonElement schema, out string problem) => TryWrite(w, schema, schema, 0, out problem);

    private static bool TryWrite(Utf8JsonWriter w, JsonElement node, JsonElement root, int depth, out string problem)
    {
        problem = "";
        if (depth > MaxDepth)
        {
            problem = "the schema nests too deep, or a $ref refers to itself (Gemini's schema has no references)";
            return false;
        }

        if (node.ValueKind == JsonValueKind.True)
        {
            w.WriteStartObject();
            w.WriteEndObject();
            return true;
        }

        if (node.ValueKind != JsonValueKind.Object)
        {
            problem = "a schema must be an object";
            return false;
        }

        if (node.TryGetProperty("$ref", out var reference))
        {
            if (!TryResolve(reference, root, out var target))
            {
                problem = $"the reference '{reference}' does not point into $defs";
                return false;
            }

            return TryWrite(w, target, root, depth + 1, out problem);
        }

        if (node.TryGetProperty("allOf", out var allOf) && allOf.ValueKind == JsonValueKind.Array && allOf.GetArrayLength() == 1 && !node.TryGetProperty("type", out _))
        {
            return TryWrite(w, allOf[0], root, depth + 1, out problem);
        }

        w.WriteStartObject();
        var nullable = false;
        var wroteNullable = false;
        foreach (var p in node.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name)
            {
                case "type":
                    if (!TryWriteType(w, v, ref nullable, out problem))
                    {
                        return false;
                    }

                    break;
                case "properties" when v.ValueKind == JsonValueKind.Object:
                    w.WriteStartObject("properties");
                    foreach (var property in v.EnumerateObject())
                    {
                        w.WritePropertyName(property.Name);
                        if (!TryWrite(w, property.Value, root, depth + 1, out problem))
                        {
                            return false;
                        }
                    }

                    w.WriteEndObject();
                    break;
                case "items" when v.ValueKind is JsonValueKind.Object or JsonValueKind.True:
                    w.WritePropertyName("items");
                    if (!TryWrite(w, v, root, depth + 1, out problem))
                    {
                        return false;
                    }

                    break;
                case "anyOf" or "oneOf" when v.ValueKind == JsonValueKind.Array:
                    w.WriteStartArray("anyOf");
                    foreach (var option in v.EnumerateArray())
                    {
                        if (option.ValueKind == JsonValueKind.Object && option.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.ValueEquals("null"))
                        {
                            nullable = true;
                            continue;
                        }

                        if (!TryWrite(w, option, root, depth + 1, out problem))
                        {
                            return false;
                        }
                    }

                    w.WriteEndArray();
                    break;
                case "const":
                    w.WriteStartArray("enum");
                    v.WriteTo(w);
                    w.WriteEndArray();
                    break;
                case "nullable":
                    wroteNullable = true;
                    w.WritePropertyName(p.Name);
                    v.WriteTo(w);
                    break;
                case "format":
                    // Gemini knows few formats and refuses others; a format is a hint, not a constraint it enforces.
                    if (v.ValueKind == JsonValueKind.String && v.GetString() is "date-time" or "enum" or "int32" or "int64" or "float" or "double")
                    {
                        w.WritePropertyName(p.Name);
                        v.WriteTo(w);
                    }

                    break;
                case "required" or "enum" or "title" or "description" or "minItems" or "maxItems" or "minProperties" or "maxProperties"
                    or "minLength" or "maxLength" or "pattern" or "minimum" or "maximum" or "default" or "example" or "propertyOrdering":
                    w.WritePropertyName(p.Name);
                    v.WriteTo(w);
                    break;
                case "additionalProperties" or "$schema" or "$id" or "$comment" or "$defs" or "definitions" or "strict" or "examples"
                    or "readOnly" or "writeOnly" or "deprecated" or "$anchor":
                    break;
                default:
                    problem = $"the JSON Schema keyword '{p.Name}' has no equivalent in Gemini's schema";
                    return false;
            }
        }

        if (nullable && !wroteNullable)
        {
            w.WriteBoolean("nullable", true);
        }

        w.WriteEndObject();
        return true;
    }

    private static bool TryWriteType(Utf8JsonWriter w, JsonElement type, ref bool nullable, out string problem)
    {
        problem = "";
        if (type.ValueKind == JsonValueKind.String)
        {
            if (type.ValueEquals("null"))
            {
                nullable = true;
                return true;
            }

            w.WriteString("type", type.GetString()!.ToUpperInvariant());
            return true;
        }

        if (type.ValueKind != JsonValueKind.Array)
        {
            problem = "'type' must be a string or an array of strings";
            return false;
        }

        string? single = null;
        var count = 0;
        foreach (var t in type.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.String)
            {
                problem = "'type' must be a string or an array of strings";
                return false;
            }

            if (t.ValueEquals("null"))
            {
                nullable = true;
            }
            else
            {
                single = t.GetString();
                count++;
            }
        }

        if (count > 1)
        {
            problem = "a union of several non-null types has no equivalent in Gemini's schema; use anyOf";
            return false;
        }

        if (single is not null)
        {
            w.WriteString("type", single.ToUpperInvariant());
        }

        return true;
    }

    private static bool TryResolve(JsonElement reference, JsonElement root, out JsonElement target)
    {
        target = default;
        if (reference.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        var path = reference.GetString()!;
        foreach (var prefix in (string[])["#/$defs/", "#/definitions/"])
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal)
                && root.TryGetProperty(prefix[2..^1], out var defs) && defs.ValueKind == JsonValueKind.Object
                && defs.TryGetProperty(path[prefix.Length..], out target))
            {
                return true;
            }
        }

        return false;
    }
}
