using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Providers.Gemini;
using Xunit;
using static Tandem.Core.Tests.Providers.Recordings;

namespace Tandem.Core.Tests.Providers.Gemini;

public sealed class GeminiEmbeddingsTests
{
    private static (string Body, GeminiEmbeddings.Method Method) Write(string openAi, bool vertex = false)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(GeminiEmbeddings.TryWriteRequest(Encoding.UTF8.GetBytes(openAi), "text-embedding-004", vertex, "embed", output, out var problem), problem.Message);
        return (Encoding.UTF8.GetString(output.WrittenSpan), GeminiEmbeddings.MethodOf(output.WrittenSpan));
    }

    [Fact]
    public void TryWriteRequest_OneText_EmbedContent()
    {
        var (body, method) = Write("""{"model":"e","input":"Hello","dimensions":256,"encoding_format":"float"}""");

        Assert.Equal(GeminiEmbeddings.Method.EmbedContent, method);
        JsonEqual("""{"content":{"parts":[{"text":"Hello"}]},"outputDimensionality":256}""", body);
    }

    [Fact]
    public void TryWriteRequest_SeveralTexts_BatchAsRecorded()
    {
        // The recorded batch request names each request's model and puts the text in parts, as written here.
        var recorded = Cassette("gemini", "TestGoogle.test_embed_error.yaml")[0]!["request"]!["parsed_body"]!["requests"]![0]!;
        var (body, method) = Write("""{"model":"e","input":["Hello, world!","Bye"]}""");

        Assert.Equal(GeminiEmbeddings.Method.BatchEmbedContents, method);
        JsonEqual("""{"requests":[{"model":"models/text-embedding-004","content":{"parts":[{"text":"Hello, world!"}]}},{"model":"models/text-embedding-004","content":{"parts":[{"text":"Bye"}]}}]}""", body);
        JsonEqual(recorded["content"], JsonNode.Parse(body)!["requests"]![0]!["content"]);
    }

    [Fact]
    public void TryWriteRequest_Vertex_Predict()
    {
        var (body, method) = Write("""{"model":"e","input":["a","b"],"dimensions":8}""", vertex: true);

        Assert.Equal(GeminiEmbeddings.Method.Predict, method);
        JsonEqual("""{"instances":[{"content":"a"},{"content":"b"}],"parameters":{"outputDimensionality":8}}""", body);
    }

    [Fact]
    public void TryWriteRequest_TokenIds_Refused()
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.False(GeminiEmbeddings.TryWriteRequest("""{"model":"e","input":[[1,2,3]]}"""u8.ToArray(), "m", false, "embed", output, out var problem));
        Assert.Equal(("input", "unsupported_value"), (problem.Param, problem.Code));
    }

    [Fact]
    public void ToOpenAi_Batch_FloatsAsSent()
    {
        var openAi = JsonNode.Parse(GeminiEmbeddings.ToOpenAi("""{"embeddings":[{"values":[0.25,-1.5]},{"values":[0.125,2]}]}"""u8.ToArray(), "text-embedding-004", base64: false))!;

        JsonEqual("""
            {"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,-1.5]},{"object":"embedding","index":1,"embedding":[0.125,2]}],"model":"text-embedding-004"}
            """, openAi.ToJsonString());
    }

    [Fact]
    public void ToOpenAi_Base64_LittleEndianFloat32()
    {
        var openAi = JsonNode.Parse(GeminiEmbeddings.ToOpenAi("""{"embedding":{"values":[0.25,-1.5]}}"""u8.ToArray(), "m", base64: true))!;

        var bytes = Convert.FromBase64String((string)openAi["data"]![0]!["embedding"]!);
        Assert.Equal(8, bytes.Length);
        Assert.Equal((0.25f, -1.5f), (BinaryPrimitives.ReadSingleLittleEndian(bytes), BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4))));
    }

    [Fact]
    public void ToOpenAi_VertexPredictions_CountTokens()
    {
        var openAi = JsonNode.Parse(GeminiEmbeddings.ToOpenAi("""
            {"predictions":[{"embeddings":{"values":[1],"statistics":{"token_count":3,"truncated":false}}},{"embeddings":{"values":[2],"statistics":{"token_count":4}}}]}
            """u8.ToArray(), "m", base64: false))!;

        JsonEqual("""{"prompt_tokens":7,"total_tokens":7}""", openAi["usage"]!.ToJsonString());
    }

    [Fact]
    public void WantsBase64_ReadsEncodingFormat()
    {
        Assert.True(GeminiEmbeddings.WantsBase64("""{"input":"x","encoding_format":"base64"}"""u8));
        Assert.False(GeminiEmbeddings.WantsBase64("""{"input":"x","encoding_format":"float"}"""u8));
        Assert.False(GeminiEmbeddings.WantsBase64("""{"input":"x"}"""u8));
    }
}
