using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using Tandem.Providers.Translation;
using Tandem.Wire;

namespace Tandem.Providers.Gemini;

/// <summary>
/// <c>/v1/embeddings</c> on Gemini: one text through <c>embedContent</c>, several through <c>batchEmbedContents</c>
/// (Gemini API), or <c>predict</c> on Vertex AI; the vectors come back in OpenAI's list, as floats or, when the client
/// asks (the OpenAI SDKs do by default), as base64 of little-endian float32.
/// </summary>
internal static class GeminiEmbeddings
{
    /// <summary>Which Gemini method a written request body is for.</summary>
    public enum Method
    {
        EmbedContent,
        BatchEmbedContents,
        Predict,
    }

    /// <summary>The method of a body written by <see cref="TryWriteRequest"/> (it says so in its first member).</summary>
    public static Method MethodOf(ReadOnlySpan<byte> body) =>
        body.StartsWith("{\"requests\""u8) ? Method.BatchEmbedContents : body.StartsWith("{\"instances\""u8) ? Method.Predict : Method.EmbedContent;

    public static bool TryWriteRequest(ReadOnlyMemory<byte> openAiBody, string model, bool vertex, string deployment, IBufferWriter<byte> output, out RequestProblem problem)
    {
        problem = default;
        using var doc = JsonDocument.Parse(openAiBody);
        var root = doc.RootElement;
        JsonElement input = default;
        JsonElement dimensions = default;
        foreach (var p in root.EnumerateObject())
        {
            switch (p.Name)
            {
                case "model" or "user" or "encoding_format":
                    break;
                case "input":
                    input = p.Value;
                    break;
                case "dimensions" when p.Value.ValueKind == JsonValueKind.Number:
                    dimensions = p.Value;
                    break;
                case "dimensions" when p.Value.ValueKind == JsonValueKind.Null:
                    break;
                default:
                    problem = TranslationProblems.Unsupported(p.Name, deployment, GeminiRequestWriter.Api);
                    return false;
            }
        }

        List<string> texts = [];
        if (input.ValueKind == JsonValueKind.String)
        {
            texts.Add(input.GetString()!);
        }
        else if (input.ValueKind == JsonValueKind.Array && input.GetArrayLength() > 0 && input.EnumerateArray().All(static e => e.ValueKind == JsonValueKind.String))
        {
            texts.AddRange(input.EnumerateArray().Select(static e => e.GetString()!));
        }
        else if (input.ValueKind == JsonValueKind.Array && input.GetArrayLength() > 0)
        {
            problem = TranslationProblems.UnsupportedValue("input", deployment, GeminiRequestWriter.Api, "Gemini embeds text, not token ids");
            return false;
        }
        else
        {
            problem = TranslationProblems.Invalid("input", "expected a string or a non-empty array of strings.");
            return false;
        }

        using var w = new Utf8JsonWriter(output, TranslationJson.WriterOptions);
        w.WriteStartObject();
        if (vertex)
        {
            w.WriteStartArray("instances");
            foreach (var text in texts)
            {
                w.WriteStartObject();
                w.WriteString("content", text);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (dimensions.ValueKind == JsonValueKind.Number)
            {
                w.WriteStartObject("parameters");
                w.WritePropertyName("outputDimensionality");
                dimensions.WriteTo(w);
                w.WriteEndObject();
            }
        }
        else if (input.ValueKind == JsonValueKind.String)
        {
            WriteContent(w, texts[0], dimensions);
        }
        else
        {
            w.WriteStartArray("requests");
            foreach (var text in texts)
            {
                w.WriteStartObject();
                w.WriteString("model", "models/" + model);
                WriteContent(w, text, dimensions);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
        return true;
    }

    private static void WriteContent(Utf8JsonWriter w, string text, JsonElement dimensions)
    {
        w.WriteStartObject("content");
        w.WriteStartArray("parts");
        w.WriteStartObject();
        w.WriteString("text", text);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        if (dimensions.ValueKind == JsonValueKind.Number)
        {
            w.WritePropertyName("outputDimensionality");
            dimensions.WriteTo(w);
        }
    }

    /// <summary>Whether the client asked for base64 vectors.</summary>
    public static bool WantsBase64(ReadOnlySpan<byte> openAiBody)
    {
        var reader = new Utf8JsonReader(openAiBody);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("encoding_format"u8))
                {
                    reader.Read();
                    return reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("base64"u8);
                }
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }

    /// <summary>
    /// The OpenAI embeddings list for a Gemini or Vertex answer. Usage is given only when the provider counts tokens
    /// (Vertex does; the Gemini API does not, and Tandem then estimates the prompt itself).
    /// </summary>
    /// <exception cref="IOException">The body is not an embeddings answer.</exception>
    public static byte[] ToOpenAi(ReadOnlyMemory<byte> body, string model, bool base64)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var vectors = new List<JsonElement>();
            int? tokens = null;
            if (root.TryGetProperty("embedding", out var one) && one.TryGetProperty("values", out var values))
            {
                vectors.Add(values);
            }
            else if (root.TryGetProperty("embeddings", out var many) && many.ValueKind == JsonValueKind.Array)
            {
                vectors.AddRange(many.EnumerateArray().Select(static e => e.GetProperty("values")));
            }
            else if (root.TryGetProperty("predictions", out var predictions) && predictions.ValueKind == JsonValueKind.Array)
            {
                tokens = 0;
                foreach (var prediction in predictions.EnumerateArray())
                {
                    var embeddings = prediction.GetProperty("embeddings");
                    vectors.Add(embeddings.GetProperty("values"));
                    if (embeddings.TryGetProperty("statistics", out var stats) && stats.TryGetProperty("token_count", out var count) && count.TryGetInt32(out var n))
                    {
                        tokens += n;
                    }
                }
            }
            else
            {
                throw new IOException("the Gemini answer holds no embeddings");
            }

            var output = new ArrayBufferWriter<byte>(1024);
            using (var w = new Utf8JsonWriter(output))
            {
                w.WriteStartObject();
                w.WriteString("object", "list");
                w.WriteStartArray("data");
                for (var i = 0; i < vectors.Count; i++)
                {
                    w.WriteStartObject();
                    w.WriteString("object", "embedding");
                    w.WriteNumber("index", i);
                    w.WritePropertyName("embedding");
                    WriteVector(w, vectors[i], base64);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteString("model", model);
                if (tokens is int t)
                {
                    w.WriteStartObject("usage");
                    w.WriteNumber("prompt_tokens", t);
                    w.WriteNumber("total_tokens", t);
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            return output.WrittenSpan.ToArray();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new IOException("the Gemini embeddings answer is not as documented", e);
        }
    }

    private static void WriteVector(Utf8JsonWriter w, JsonElement values, bool base64)
    {
        if (!base64)
        {
            w.WriteStartArray();
            foreach (var v in values.EnumerateArray())
            {
                v.WriteTo(w);
            }

            w.WriteEndArray();
            return;
        }

        var bytes = new byte[values.GetArrayLength() * sizeof(float)];
        var i = 0;
        foreach (var v in values.EnumerateArray())
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i), v.GetSingle());
            i += sizeof(float);
        }

        w.WriteBase64StringValue(bytes);
    }
}
