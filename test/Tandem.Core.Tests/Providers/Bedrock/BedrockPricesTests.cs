using Tandem.Costs;
using Xunit;

namespace Tandem.Core.Tests.Providers.Bedrock;

/// <summary>The shipped Bedrock prices are found under the model ids and inference profiles deployments use.</summary>
public sealed class BedrockPricesTests
{
    [Theory]
    [InlineData("us.amazon.nova-micro-v1:0", 0.035, 0.14)]
    [InlineData("amazon.nova-lite-v1:0", 0.06, 0.24)]
    [InlineData("amazon.nova-pro-v1:0", 0.80, 3.20)]
    [InlineData("us.anthropic.claude-3-5-haiku-20241022-v1:0", 0.80, 4.00)]
    [InlineData("anthropic.claude-sonnet-4-20250514-v1:0", 3.00, 15.00)]
    public void Find_BedrockModelIds_GiveTheOnDemandPrice(string model, double input, double output)
    {
        var entry = PriceTable.Find(model);

        Assert.NotNull(entry);
        Assert.Equal(("bedrock", (decimal)input, (decimal)output), (entry.Provider, entry.InputPerMtok, entry.OutputPerMtok));
    }

    [Fact]
    public void Find_CrossRegionProfilesOutsideTheUs_AreNotGuessed() => Assert.Null(PriceTable.Find("eu.amazon.nova-micro-v1:0"));
}
