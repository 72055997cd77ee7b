using Tandem.Configuration;
using Tandem.Routing;
using Tandem.Routing.Learned;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Routing.Learned;

public sealed class ModelTiersTests
{
    [Fact]
    public void Decide_ModelScorer_ChoosesTheTier_AndNamesTheModelVersion()
    {
        // Weights 1, bias 0: a text with n >= 1 features has logit sqrt(n) >= 1, score >= 0.731; no text, 0.5.
        var model = new LinearRouterModel(Enumerable.Repeat(1f, 1024).ToArray(), 0f);
        var path = Path.GetTempFileName();
        try
        {
            using (var file = File.Create(path))
            {
                model.Save(file);
            }

            var snapshot = GatewaySnapshot.Build(ConfigLoader.Parse($$"""
                auth: { disabled: true }
                providers: [ { name: p, base_url: "http://127.0.0.1:1/v1" } ]
                deployments: [ { name: small, provider: p, model: s }, { name: large, provider: p, model: l } ]
                routes:
                  - name: r
                    tiers: { scorer: model, model: "{{path}}", levels: [ { min: 0, deployment: small }, { min: 0.6, deployment: large } ] }
                """), null);
            var policy = snapshot.Routes["r"].Policy;

            var hard = policy.Decide(RequestView.For("""{"model":"r","messages":[{"role":"user","content":"prove it"}]}"""));
            var empty = policy.Decide(RequestView.For("""{"model":"r","messages":[]}"""));

            Assert.Equal("large", hard.Chain[0].Name);
            Assert.Matches($@"^tier score 0\.\d\d \(model {model.Version}\) >= 0\.6 -> large$", hard.Reason);
            Assert.Equal(("small", $"tier score 0.50 (model {model.Version}) >= 0 -> small"), (empty.Chain[0].Name, empty.Reason));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Build_ModelFileGoneAfterValidation_IsAConfigError()
    {
        var path = Path.GetTempFileName();
        using (var file = File.Create(path))
        {
            new LinearRouterModel(new float[1024], 0f).Save(file);
        }

        var config = ConfigLoader.Parse($$"""
            auth: { disabled: true }
            providers: [ { name: p, base_url: "http://127.0.0.1:1/v1" } ]
            deployments: [ { name: small, provider: p, model: s } ]
            routes: [ { name: r, tiers: { scorer: model, model: "{{path}}", levels: [ { min: 0, deployment: small } ] } } ]
            """);
        File.Delete(path);

        var e = Assert.Throws<ConfigException>(() => GatewaySnapshot.Build(config, null));

        Assert.Equal([$"route 'r': tiers.model: cannot read the model: Could not find file '{path}'."], e.Errors);
    }
}
