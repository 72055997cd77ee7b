using Tandem.Configuration;
using Tandem.Routing;
using Tandem.Routing.Learned;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Routing.Learned;

public sealed class EncoderRouterModelTests
{
    /// <summary>A 3-dimensional encoder: (1, 0, 0) for text containing "prove", else (0, 1, 0).</summary>
    private sealed class ToyEncoder : ISentenceEncoder
    {
        public string Name => "toy-3";

        public int Dimensions => 3;

        public void Encode(string text, Span<float> embedding)
        {
            embedding.Clear();
            embedding[text.Contains("prove", StringComparison.Ordinal) ? 0 : 1] = 1;
        }
    }

    [Fact]
    public void Score_IsTheLogisticOfBiasPlusDotProduct()
    {
        var head = new EncoderRouterModel("toy-3", [2f, -1f, 0.5f], 0.25f);
        // z = 0.25 + 2·0.5 − 1·0.25 + 0.5·(−1) = 0.5; sigmoid(0.5) = 0.622459.
        Assert.Equal(0.622459, head.Score([0.5f, 0.25f, -1f]), 6);
        Assert.Throws<ArgumentException>(() => head.Score([1f, 2f]));
    }

    [Fact]
    public void SaveRead_RoundTrips_AndTheVersionFollowsTheContent()
    {
        var head = new EncoderRouterModel("toy-3", [2f, -1f, 0.5f], 0.25f);
        using var stream = new MemoryStream();
        head.Save(stream);
        var bytes = stream.ToArray();
        // magic 8 + format 4 + name length 4 + "toy-3" 5 + dimensions 4 + bias 4 + 3 weights 12.
        Assert.Equal(41, bytes.Length);
        Assert.Equal("TNDMEH01"u8.ToArray(), bytes[..8]);

        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, bytes);
            var back = Assert.IsType<EncoderRouterModel>(RouterModelFile.Read(path));
            Assert.Equal(("toy-3", 0.25f, head.Version), (back.Encoder, back.Bias, back.Version));
            Assert.Equal([2f, -1f, 0.5f], back.Weights.ToArray());
            Assert.Matches("^enc-[0-9a-f]{12}$", head.Version);
            Assert.NotEqual(head.Version, new EncoderRouterModel("toy-3", [2f, -1f, 0.5f], 0.26f).Version);
            Assert.NotEqual(head.Version, new EncoderRouterModel("toy-4", [2f, -1f, 0.5f], 0.25f).Version);

            File.WriteAllBytes(path, bytes[..^4]);
            var e = Assert.Throws<InvalidDataException>(() => RouterModelFile.Read(path));
            Assert.Equal($"'{path}' is truncated or damaged (3 dimensions, 37 bytes)", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Decide_EncoderModel_EncodesWithTheHostsEncoder_AndNamesTheHeadVersion()
    {
        // Weight +3 on "prove" texts, −3 otherwise: sigmoid(3) = 0.95, sigmoid(−3) = 0.05.
        var head = new EncoderRouterModel("toy-3", [3f, -3f, 0f], 0f);
        var path = Path.GetTempFileName();
        try
        {
            using (var file = File.Create(path))
            {
                head.Save(file);
            }

            var config = ConfigLoader.Parse($$"""
                auth: { disabled: true }
                providers: [ { name: p, base_url: "http://127.0.0.1:1/v1" } ]
                deployments: [ { name: small, provider: p, model: s }, { name: large, provider: p, model: l } ]
                routes:
                  - name: r
                    tiers: { scorer: model, model: "{{path}}", levels: [ { min: 0, deployment: small }, { min: 0.5, deployment: large } ] }
                """);
            var encoder = new ToyEncoder();
            var policy = GatewaySnapshot.Build(config, null, RuntimeServices.Default with { SentenceEncoders = n => n == "toy-3" ? encoder : null }).Routes["r"].Policy;

            var hard = policy.Decide(RequestView.For("""{"model":"r","messages":[{"role":"user","content":"prove it"}]}"""));
            var easy = policy.Decide(RequestView.For("""{"model":"r","messages":[{"role":"user","content":"hello"}]}"""));
            Assert.Equal(("large", $"tier score 0.95 (model {head.Version}) >= 0.5 -> large"), (hard.Chain[0].Name, hard.Reason));
            Assert.Equal(("small", $"tier score 0.05 (model {head.Version}) >= 0 -> small"), (easy.Chain[0].Name, easy.Reason));

            // A host without the encoder: a configuration error that names it.
            var e = Assert.Throws<ConfigException>(() => GatewaySnapshot.Build(config, null));
            Assert.Equal([$"route 'r': tiers.model: cannot read the model: '{path}' is an encoder router over toy-3, which this host does not provide (tandem serve does; an embedding host registers Tandem.Routing.Encoder)"], e.Errors);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
