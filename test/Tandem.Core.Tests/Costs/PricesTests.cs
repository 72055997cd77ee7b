using Tandem.Configuration;
using Tandem.Costs;
using Xunit;

namespace Tandem.Core.Tests.Costs;

public sealed class PricesTests
{
    [Fact]
    public void PriceTable_EveryEntry_IsDatedAndSourced()
    {
        Assert.NotEmpty(PriceTable.Default);
        Assert.Contains(PriceTable.Default, e => e.Provider == "openai");
        Assert.Contains(PriceTable.Default, e => e.Provider == "anthropic");
        foreach (var e in PriceTable.Default)
        {
            Assert.True(DateOnly.TryParseExact(e.AsOf, "yyyy-MM-dd", out _), e.Model);
            Assert.StartsWith("https://", e.Source, StringComparison.Ordinal);
            Assert.True(e.InputPerMtok >= 0 && e.OutputPerMtok >= 0, e.Model);
        }
    }

    [Theory]
    [InlineData("gpt-4o-mini-2024-07-18", "gpt-4o-mini")]
    [InlineData("gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("openai/gpt-4.1-mini", "gpt-4.1-mini")]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")]
    [InlineData("claude-3-5-haiku-20241022", "claude-3-5-haiku")]
    [InlineData("o3", "o3")]
    public void Find_ModelIds_MatchLongestEntryAtDashBoundary(string model, string entry) =>
        Assert.Equal(entry, PriceTable.Find(model)?.Model);

    [Theory]
    [InlineData("llama-3.1-8b-instruct")]
    [InlineData("gpt-4omega")]
    [InlineData("")]
    public void Find_UnknownModels_ReturnNull(string model) => Assert.Null(PriceTable.Find(model));

    [Fact]
    public void CostOf_TokenPrices_ChargesCachedAndReasoningTokensAtTheirPrices()
    {
        var price = DeploymentPrice.For(new DeploymentConfig
        {
            Name = "d",
            Model = "x",
            Pricing = new PricingConfig { InputPerMtok = 2m, CachedInputPerMtok = 0.5m, OutputPerMtok = 8m, ReasoningPerMtok = 10m },
        });
        // 1000 prompt of which 400 cached, 300 completion of which 100 reasoning:
        // (600 × 2 + 400 × 0.5 + 200 × 8 + 100 × 10) / 1M = (1200 + 200 + 1600 + 1000) / 1M.
        Assert.Equal(0.004m, price.CostOf(1000, 400, 300, 100));
    }

    [Fact]
    public void CostOf_DefaultTableAndFixedCapacity()
    {
        var table = DeploymentPrice.For(new DeploymentConfig { Name = "d", Model = "gpt-4o-mini-2024-07-18" });
        Assert.Equal((PriceKind.Tokens, "2024-10-01"), (table.Kind, table.AsOf));
        Assert.Equal(((1000 * 0.15m) + (1000 * 0.075m) + (100 * 0.60m)) / 1_000_000m, table.CostOf(2000, 1000, 100, 0));

        var gpu = DeploymentPrice.For(new DeploymentConfig { Name = "g", Model = "llama", Pricing = new PricingConfig { FixedMonthly = 1000m, MarginalPerMtok = 0.1m } });
        Assert.Equal(PriceKind.Fixed, gpu.Kind);
        Assert.Equal(0.00011m, gpu.CostOf(1000, 0, 100, 0));

        Assert.Equal(PriceKind.Unpriced, DeploymentPrice.For(new DeploymentConfig { Name = "u", Model = "llama" }).Kind);
    }
}
