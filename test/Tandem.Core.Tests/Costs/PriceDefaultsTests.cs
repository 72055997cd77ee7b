using Tandem.Configuration;
using Tandem.Costs;
using Xunit;

namespace Tandem.Core.Tests.Costs;

/// <summary>
/// Prices that are not written down: cached input without a cached price costs the input price, reasoning without a
/// reasoning price costs the output price, and token counts outside their totals are clamped. Each cost is worked out
/// by hand in dollars per million tokens.
/// </summary>
public sealed class PriceDefaultsTests
{
    private static DeploymentPrice Configured(PricingConfig pricing) => DeploymentPrice.For(new DeploymentConfig { Name = "d", Model = "private-model", Pricing = pricing });

    [Fact]
    public void CachedTokens_NoCachedPriceConfigured_CostTheInputPrice()
    {
        var price = Configured(new PricingConfig { InputPerMtok = 2.5m, OutputPerMtok = 10m });

        // 1,000 prompt tokens of which 400 cached, 100 completion: all 1,000 at 2.5, 100 at 10:
        // (1,000 × 2.5 + 100 × 10) / 1M = 3,500 / 1M.
        Assert.Equal(2.5m, price.CachedInputPerMtok);
        Assert.Equal(0.0035m, price.CostOf(1000, 400, 100, 0));
        // Not free: a cached price of 0 would make it (600 × 2.5 + 100 × 10) / 1M = 0.0025.
        Assert.NotEqual(0.0025m, price.CostOf(1000, 400, 100, 0));
    }

    [Fact]
    public void CachedTokens_CachedPriceConfigured_CostThatPrice()
    {
        var price = Configured(new PricingConfig { InputPerMtok = 2.5m, CachedInputPerMtok = 1.25m, OutputPerMtok = 10m });

        // (600 × 2.5 + 400 × 1.25 + 100 × 10) / 1M = (1,500 + 500 + 1,000) / 1M.
        Assert.Equal(0.003m, price.CostOf(1000, 400, 100, 0));
    }

    [Fact]
    public void CachedTokens_TableEntryWithoutCachedPrice_CostTheInputPrice()
    {
        // gpt-4-turbo in the shipped table: 10 in, 30 out, no cached price.
        var price = DeploymentPrice.For(new DeploymentConfig { Name = "d", Model = "gpt-4-turbo-2024-04-09" });

        // (1,000 × 10 + 100 × 30) / 1M, whatever share of the prompt was cached.
        Assert.Equal((PriceKind.Tokens, 10m, 10m, 30m, 30m), (price.Kind, price.InputPerMtok, price.CachedInputPerMtok, price.OutputPerMtok, price.ReasoningPerMtok));
        Assert.Equal(0.013m, price.CostOf(1000, 1000, 100, 0));
        Assert.Equal(0.013m, price.CostOf(1000, 0, 100, 0));
        Assert.Equal("https://openai.com/api/pricing/", price.Source);
    }

    [Fact]
    public void ReasoningTokens_NoReasoningPriceConfigured_CostTheOutputPrice()
    {
        var price = Configured(new PricingConfig { InputPerMtok = 1m, OutputPerMtok = 4m });

        // 300 completion tokens of which 200 reasoning, all at 4: 300 × 4 / 1M = 1,200 / 1M.
        Assert.Equal(4m, price.ReasoningPerMtok);
        Assert.Equal(0.0012m, price.CostOf(0, 0, 300, 200));
    }

    [Fact]
    public void OnlyAnInputPrice_OutputIsFree_AndCachedIsTheInputPrice()
    {
        var price = Configured(new PricingConfig { InputPerMtok = 0.02m });

        // An embedding model: 5,000 × 0.02 / 1M = 100 / 1M.
        Assert.Equal((0.02m, 0m, 0m), (price.CachedInputPerMtok, price.OutputPerMtok, price.ReasoningPerMtok));
        Assert.Equal(0.0001m, price.CostOf(5000, 2000, 0, 0));
    }

    [Fact]
    public void OnlyACachedPrice_InputIsFree()
    {
        var price = Configured(new PricingConfig { CachedInputPerMtok = 1m, OutputPerMtok = 2m });

        // 1,000 prompt (500 cached) and 1,000 completion: 500 × 0 + 500 × 1 + 1,000 × 2 = 2,500 / 1M.
        Assert.Equal(0.0025m, price.CostOf(1000, 500, 1000, 0));
    }

    [Theory]
    [InlineData(1000, 5000, 0, 0, 0.00125)] // more cached than prompt: all 1,000 cached at 1.25 → 1,250 / 1M
    [InlineData(1000, -5, 0, 0, 0.0025)] // negative cached: none, 1,000 at 2.5
    [InlineData(0, 0, 100, 900, 0.002)] // more reasoning than completion: all 100 at 20 → 2,000 / 1M
    [InlineData(0, 0, 100, -1, 0.001)] // negative reasoning: none, 100 at 10
    public void CostOf_ClampsPartsToTheirTotals(long prompt, long cached, long completion, long reasoning, double expected)
    {
        var price = Configured(new PricingConfig { InputPerMtok = 2.5m, CachedInputPerMtok = 1.25m, OutputPerMtok = 10m, ReasoningPerMtok = 20m });

        Assert.Equal((decimal)expected, price.CostOf(prompt, cached, completion, reasoning));
    }

    [Fact]
    public void FixedCapacity_MarginalPriceOnEveryToken_CachedAndReasoningIncluded()
    {
        var price = Configured(new PricingConfig { FixedMonthly = 900m, MarginalPerMtok = 0.5m, InputPerMtok = 99m });

        // (2,000 + 1,000) × 0.5 / 1M = 1,500 / 1M; the token prices beside a fixed cost are not used.
        Assert.Equal((PriceKind.Fixed, 900m), (price.Kind, price.FixedMonthly));
        Assert.Equal(0.0015m, price.CostOf(2000, 1500, 1000, 800));
    }

    [Fact]
    public void FixedCapacity_FromABreakdown_WithoutMarginal_CostsNothingPerToken()
    {
        var price = Configured(new PricingConfig { FixedMonthlyBreakdown = new Dictionary<string, decimal> { ["gpu"] = 700m, ["ops"] = 300m } });

        Assert.Equal((PriceKind.Fixed, 1000m, 0m), (price.Kind, price.FixedMonthly, price.MarginalPerMtok));
        Assert.Equal(0m, price.CostOf(2000, 0, 1000, 0));
    }

    [Fact]
    public void Unpriced_CostsNothing()
    {
        var price = DeploymentPrice.For(new DeploymentConfig { Name = "d", Model = "private-model" });

        Assert.Equal((PriceKind.Unpriced, "none"), (price.Kind, price.Source));
        Assert.Equal(0m, price.CostOf(1000, 0, 1000, 0));
    }
}
